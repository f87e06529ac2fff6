import { EnvReader } from '../env-reader';

/** Sign-in protection: how many failed logins are tolerated before the api answers 429. */
export interface AccountsConfig {
  login: {
    /** Failed logins for one account (any client) within the window. */
    maxFailuresPerAccount: number;
    /** Failed logins from one client address (any account) within the window. */
    maxFailuresPerClient: number;
    /** The window opens at the first failure; when it closes, the counts start again. */
    windowMs: number;
  };
}

export function readAccounts(env: EnvReader): AccountsConfig {
  return {
    login: {
      maxFailuresPerAccount: env.int('TENK_LOGIN_MAX_FAILURES_PER_ACCOUNT', 5, { min: 1, max: 1_000 }),
      maxFailuresPerClient: env.int('TENK_LOGIN_MAX_FAILURES_PER_CLIENT', 20, { min: 1, max: 100_000 }),
      windowMs: env.durationMs('TENK_LOGIN_WINDOW', 15 * 60_000),
    },
  };
}
