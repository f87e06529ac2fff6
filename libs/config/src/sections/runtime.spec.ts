import { loadConfig } from '../tenk-config';

describe('runtime configuration: trusted proxies', () => {
  it('trusts loopback proxies by default (the balancer on this machine)', () => {
    expect(loadConfig({}).runtime.trustedProxies).toEqual(['loopback']);
  });

  it('reads addresses and CIDRs of both families, and `none` for no proxy at all', () => {
    expect(loadConfig({ TENK_TRUSTED_PROXIES: '172.30.0.10, 10.0.0.0/8,fd00::/8,::1' }).runtime.trustedProxies).toEqual([
      '172.30.0.10',
      '10.0.0.0/8',
      'fd00::/8',
      '::1',
    ]);
    expect(loadConfig({ TENK_TRUSTED_PROXIES: 'loopback,uniquelocal' }).runtime.trustedProxies).toEqual(['loopback', 'uniquelocal']);
    expect(loadConfig({ TENK_TRUSTED_PROXIES: 'none' }).runtime.trustedProxies).toEqual([]);
  });

  it.each(['10.0.0.0/33', 'proxy.internal', '300.1.1.1', 'fd00::/129', '10.0.0.1/8/1', '*'])(
    'names a bad entry (%s) and what is expected',
    (value) => {
      expect(() => loadConfig({ TENK_TRUSTED_PROXIES: `127.0.0.1,${value}` })).toThrow(
        new RegExp(`TENK_TRUSTED_PROXIES=.*${value.replace(/[.*/]/g, '\\$&')}: expected IP addresses or CIDRs`),
      );
    },
  );
});
