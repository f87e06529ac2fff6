import type { UserView } from '@tenk/contracts/api';
import type { Route } from './router';

/** What a page gets: the route, who is signed in, and a signal that aborts when it is left. */
export interface PageContext {
  route: Route;
  user: UserView | null;
  signal: AbortSignal;
  navigate(path: string, query?: Record<string, string | number | undefined>): void;
  setTitle(title: string): void;
}

export type Page = (context: PageContext) => Node | Promise<Node>;

export interface PageDefinition {
  render: Page;
  /** Who may open it: everyone, signed-in users, or admins. */
  access: 'public' | 'signed-in' | 'admin';
}
