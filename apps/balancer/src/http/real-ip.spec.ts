import { RealIp, type RealIpTarget } from './real-ip';

function target(peer: string, headers: string[]): RealIpTarget {
  return { req: { socket: { remoteAddress: peer }, rawHeaders: headers }, clientAddress: peer };
}

// The example of ngx_http_realip_module's documentation.
const from = ['192.168.1.0/24', '192.168.2.1', '2001:0db8::/32'];

describe('realip (ngx_http_realip_module)', () => {
  it('takes X-Forwarded-For only from trusted peers: its last address without real_ip_recursive', () => {
    const realIp = new RealIp({ from, header: 'X-Forwarded-For', recursive: false });
    const trusted = target('192.168.1.20', ['X-Forwarded-For', '203.0.113.9, 192.168.2.1']);
    realIp.apply(trusted);
    expect(trusted.clientAddress).toBe('192.168.2.1');
    const stranger = target('198.51.100.1', ['X-Forwarded-For', '203.0.113.9']);
    realIp.apply(stranger);
    expect(stranger.clientAddress).toBe('198.51.100.1');
  });

  it('real_ip_recursive on: the last address that is not trusted, walking from the right', () => {
    const realIp = new RealIp({ from, header: 'X-Forwarded-For', recursive: true });
    const chain = target('2001:db8::1', ['X-Forwarded-For', '10.9.9.9, 203.0.113.9, 192.168.2.1, 192.168.1.7']);
    realIp.apply(chain);
    expect(chain.clientAddress).toBe('203.0.113.9');
    const allTrusted = target('192.168.1.1', ['X-Forwarded-For', '192.168.1.5, 192.168.2.1']);
    realIp.apply(allTrusted);
    expect(allTrusted.clientAddress).toBe('192.168.1.5');
  });

  it('X-Real-IP (the default header) holds one address; a value that is not one is ignored; IPv4-mapped peers match', () => {
    const realIp = new RealIp({ from: ['127.0.0.1'], header: 'X-Real-IP', recursive: false });
    const mapped = target('::ffff:127.0.0.1', ['X-Real-IP', '203.0.113.4']);
    realIp.apply(mapped);
    expect(mapped.clientAddress).toBe('203.0.113.4');
    const junk = target('127.0.0.1', ['X-Real-IP', 'evil.example']);
    realIp.apply(junk);
    expect(junk.clientAddress).toBe('127.0.0.1');
  });
});
