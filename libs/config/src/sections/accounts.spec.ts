import { loadConfig } from '../tenk-config';

describe('accounts configuration', () => {
  it('defaults to 5 failures per account and client, 20 per client address in 15 minutes', () => {
    expect(loadConfig({}).accounts.login).toEqual({ maxFailuresPerAccount: 5, maxFailuresPerClient: 20, windowMs: 900_000 });
  });

  it('reads the limits from TENK_LOGIN_* and names a bad one', () => {
    expect(loadConfig({ TENK_LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', TENK_LOGIN_WINDOW: '2m' }).accounts.login).toMatchObject({
      maxFailuresPerAccount: 3,
      windowMs: 120_000,
    });
    expect(() => loadConfig({ TENK_LOGIN_MAX_FAILURES_PER_CLIENT: '0' })).toThrow('TENK_LOGIN_MAX_FAILURES_PER_CLIENT="0"');
  });

  it('limits sign-ups to 10 per client address an hour by default, from TENK_SIGNUP_*', () => {
    expect(loadConfig({}).accounts.signup).toEqual({ maxPerClient: 10, windowMs: 3_600_000 });
    expect(loadConfig({ TENK_SIGNUP_MAX_PER_CLIENT: '3', TENK_SIGNUP_WINDOW: '10m' }).accounts.signup).toEqual({
      maxPerClient: 3,
      windowMs: 600_000,
    });
    expect(() => loadConfig({ TENK_SIGNUP_MAX_PER_CLIENT: 'many' })).toThrow('TENK_SIGNUP_MAX_PER_CLIENT="many"');
  });

  it('ends a session after 7 days idle or 30 days in all by default, and refuses a maximum shorter than the idle timeout', () => {
    expect(loadConfig({}).accounts.sessions).toEqual({ idleTimeoutMs: 7 * 24 * 3_600_000, maxAgeMs: 30 * 24 * 3_600_000 });
    expect(loadConfig({ TENK_SESSION_IDLE_TIMEOUT: '30m', TENK_SESSION_MAX_AGE: '12h' }).accounts.sessions).toEqual({
      idleTimeoutMs: 1_800_000,
      maxAgeMs: 43_200_000,
    });
    expect(() => loadConfig({ TENK_SESSION_IDLE_TIMEOUT: '2h', TENK_SESSION_MAX_AGE: '1h' })).toThrow(
      /TENK_SESSION_MAX_AGE.*must not be shorter than TENK_SESSION_IDLE_TIMEOUT/,
    );
  });
});
