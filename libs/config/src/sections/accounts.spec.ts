import { loadConfig } from '../tenk-config';

describe('accounts configuration', () => {
  it('defaults to 5 failures per account and 20 per client address in 15 minutes', () => {
    expect(loadConfig({}).accounts.login).toEqual({ maxFailuresPerAccount: 5, maxFailuresPerClient: 20, windowMs: 900_000 });
  });

  it('reads the limits from TENK_LOGIN_* and names a bad one', () => {
    expect(loadConfig({ TENK_LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', TENK_LOGIN_WINDOW: '2m' }).accounts.login).toMatchObject({ maxFailuresPerAccount: 3, windowMs: 120_000 });
    expect(() => loadConfig({ TENK_LOGIN_MAX_FAILURES_PER_CLIENT: '0' })).toThrow('TENK_LOGIN_MAX_FAILURES_PER_CLIENT="0"');
  });
});
