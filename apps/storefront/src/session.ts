import type { UserView } from '@tenk/contracts/api';
import { get, post } from './api';
import { Store } from './store';

/** Who is signed in: undefined until the first answer, null for nobody. */
export const session = new Store<UserView | null | undefined>(undefined);

/** How long the first page waits to learn who is signed in before going on without it. */
export const SESSION_CHECK_TIMEOUT_MS = 10_000;

/** GET /auth/session answers 200 for everyone, so asking logs no error in the console. */
export async function refreshSession(timeoutMs = SESSION_CHECK_TIMEOUT_MS): Promise<UserView | null> {
  const { user } = await get<{ user: UserView | null }>('/auth/session', AbortSignal.timeout(timeoutMs));
  session.set(user);
  return user;
}

export async function signIn(email: string, password: string): Promise<UserView> {
  const user = await post<UserView>('/auth/login', { email, password });
  session.set(user);
  return user;
}

/**
 * The shop answers a sign-up the same way whether or not the email has an account already
 * (so nobody can find out which emails do); only in the first case is the visitor signed in.
 * So ask who is signed in afterwards.
 */
export async function signUp(name: string, email: string, password: string): Promise<UserView> {
  await post<UserView>('/users', { name, email, password });
  const user = await refreshSession();
  if (!user)
    throw new Error(
      `we could not create an account for ${email}: if it has one already, its owner just got a mail from us; sign in instead`,
    );
  return user;
}

export async function signOut(): Promise<void> {
  await post<void>('/auth/logout');
  session.set(null);
}
