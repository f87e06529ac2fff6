import { normalizeAddress } from './client-address';

describe('client addresses for the per-client limits', () => {
  it('counts an IPv4 client the same whether Node reports it plain or IPv4-mapped', () => {
    expect(normalizeAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(normalizeAddress('203.0.113.7')).toBe('203.0.113.7');
  });

  it('keeps IPv6 addresses, in one letter case', () => {
    expect(normalizeAddress('2001:DB8::1')).toBe('2001:db8::1');
  });
});
