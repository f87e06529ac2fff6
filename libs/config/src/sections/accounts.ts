import { EnvReader } from '../env-reader';

/** Sign-in protection, sign-up limits and how long a session lives. */
export interface AccountsConfig {
  login: {
    /**
     * Failed logins for one account from one client address within the window; past it that
     * client is slowed on that account (a growing wait between attempts), while the account's
     * owner signing in from elsewhere is not.
     */
    maxFailuresPerAccount: number;
    /** Failed logins from one client address (any account) within the window. */
    maxFailuresPerClient: number;
    /** The window opens at the first failure; when it closes, the counts start again. */
    windowMs: number;
  };
  signup: {
    /** Sign-ups from one client address within the window (each costs a password hash). */
    maxPerClient: number;
    windowMs: number;
  };
  sessions: {
    /** A session nobody used for this long ends. */
    idleTimeoutMs: number;
    /** A session ends this long after sign-in, however much it is used. */
    maxAgeMs: number;
  };
}

export function readAccounts(env: EnvReader): AccountsConfig {
  const idleTimeoutMs = env.durationMs('TENK_SESSION_IDLE_TIMEOUT', 7 * 24 * 3_600_000);
  const maxAgeMs = env.durationMs('TENK_SESSION_MAX_AGE', 30 * 24 * 3_600_000);
  if (idleTimeoutMs < 10_000) env.problem('TENK_SESSION_IDLE_TIMEOUT', `${idleTimeoutMs}ms`, 'expected at least 10s');
  if (maxAgeMs < idleTimeoutMs)
    env.problem('TENK_SESSION_MAX_AGE', `${maxAgeMs}ms`, `must not be shorter than TENK_SESSION_IDLE_TIMEOUT (${idleTimeoutMs}ms)`);
  return {
    login: {
      maxFailuresPerAccount: env.int('TENK_LOGIN_MAX_FAILURES_PER_ACCOUNT', 5, { min: 1, max: 1_000 }),
      maxFailuresPerClient: env.int('TENK_LOGIN_MAX_FAILURES_PER_CLIENT', 20, { min: 1, max: 100_000 }),
      windowMs: env.durationMs('TENK_LOGIN_WINDOW', 15 * 60_000),
    },
    signup: {
      maxPerClient: env.int('TENK_SIGNUP_MAX_PER_CLIENT', 10, { min: 1, max: 1_000_000 }),
      windowMs: env.durationMs('TENK_SIGNUP_WINDOW', 3_600_000),
    },
    sessions: { idleTimeoutMs, maxAgeMs },
  };
}
