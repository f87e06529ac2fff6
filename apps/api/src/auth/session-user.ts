import type { Role } from '@tenk/accounts';

export type { Role };

/** Who is asking: what a valid session cookie resolves to. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}
