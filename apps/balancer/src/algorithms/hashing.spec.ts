import { Template, type VariableContext } from '../http/variables';
import { group, makePeers } from '../testing/peers';
import { Attempt } from './attempt';
import { ConsistentHash } from './consistent-hash';
import { Hash, hash } from './hash';
import { addressOctets, IpHash } from './ip-hash';
import type { LoadBalancer } from './load-balancer';

function attemptFor(key: string, clientAddress = '127.0.0.1'): Attempt {
  const attempt = new Attempt();
  attempt.clientAddress = clientAddress;
  attempt.variables = { req: { url: key, rawHeaders: [] }, clientAddress, uri: key } as unknown as VariableContext;
  return attempt;
}

function spread(balancer: LoadBalancer, peerCount: number, keys: string[]): number[] {
  const peers = makePeers(new Array<number>(peerCount).fill(1));
  const counts = new Array<number>(peerCount).fill(0);
  for (const key of keys) counts[balancer.pick(group(peers), attemptFor(key), 0)!.index]++;
  return counts;
}

const KEYS = Array.from({ length: 10_000 }, (_, i) => `/products/${i}?page=${i % 7}`);

describe('ip_hash', () => {
  it('keys on the first three octets of IPv4 (a /24 sticks together) and all of IPv6', () => {
    expect(addressOctets('192.168.7.42')).toEqual([192, 168, 7]);
    expect(addressOctets('::ffff:10.1.2.3')).toEqual([10, 1, 2]);
    expect(addressOctets('2001:db8::1')).toHaveLength(16);
  });

  it('sends a client to the same peer every time, and clients of one /24 together', () => {
    const peers = makePeers([1, 1, 1]);
    const balancer = new IpHash();
    const pick = (address: string) => balancer.pick(group(peers), attemptFor('/', address), 0)!.index;
    const first = pick('203.0.113.9');
    for (let i = 0; i < 20; i++) expect(pick('203.0.113.9')).toBe(first);
    expect(pick('203.0.113.200')).toBe(first);
  });

  it('spreads many /24s over the peers', () => {
    const peers = makePeers([1, 1, 1]);
    const balancer = new IpHash();
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++)
      counts[balancer.pick(group(peers), attemptFor('/', `10.${i % 250}.${Math.floor(i / 250)}.1`), 0)!.index]++;
    for (const count of counts) expect(count).toBeGreaterThan((3000 / 3) * 0.7);
  });

  it('moves a client to another peer when its peer is down, and back when it returns', () => {
    const peers = makePeers([1, 1, 1]);
    const balancer = new IpHash();
    const home = balancer.pick(group(peers), attemptFor('/', '198.51.100.7'), 0)!;
    home.down = true;
    const away = balancer.pick(group(peers), attemptFor('/', '198.51.100.7'), 0)!;
    expect(away).not.toBe(home);
    home.down = false;
    expect(balancer.pick(group(peers), attemptFor('/', '198.51.100.7'), 0)).toBe(home);
  });
});

describe('hash KEY', () => {
  it('maps a key to the same peer every time', () => {
    const peers = makePeers([1, 1, 1, 1]);
    const balancer = new Hash(new Template('$request_uri'));
    const first = balancer.pick(group(peers), attemptFor('/cart/42'), 0);
    for (let i = 0; i < 10; i++) expect(balancer.pick(group(peers), attemptFor('/cart/42'), 0)).toBe(first);
  });

  it('spreads 10,000 keys evenly (within 15%) over 4 peers', () => {
    const counts = spread(new Hash(new Template('$request_uri')), 4, KEYS);
    for (const count of counts) expect(Math.abs(count - 2500)).toBeLessThan(2500 * 0.15);
  });

  it('validates its arguments', () => {
    expect(hash.validate([])).toMatch(/needs a key/);
    expect(hash.validate(['$request_uri', 'sticky'])).toMatch(/unknown parameter "sticky"/);
    expect(hash.validate(['$nope'])).toMatch(/unknown variable "\$nope"/);
    expect(hash.validate(['$request_uri', 'consistent'])).toBeNull();
  });
});

describe('hash KEY consistent (ketama)', () => {
  it('spreads 10,000 keys evenly (within 15%) over 4 peers', () => {
    const peers = makePeers([1, 1, 1, 1]);
    const counts = spread(new ConsistentHash(new Template('$request_uri'), group(peers)), 4, KEYS);
    for (const count of counts) expect(Math.abs(count - 2500)).toBeLessThan(2500 * 0.15);
  });

  it("moves only the removed peer's keys (about 1/N) when a peer leaves, unlike plain hash", () => {
    const assign = (make: (peers: ReturnType<typeof makePeers>) => LoadBalancer, count: number) => {
      const peers = makePeers(new Array<number>(count).fill(1));
      const balancer = make(peers);
      return new Map(KEYS.map((key) => [key, balancer.pick(group(peers), attemptFor(key), 0)!.address]));
    };
    const moved = (before: Map<string, string>, after: Map<string, string>) =>
      KEYS.filter((key) => before.get(key) !== after.get(key)).length / KEYS.length;

    const consistent = (peers: ReturnType<typeof makePeers>) => new ConsistentHash(new Template('$request_uri'), group(peers));
    const consistentMoved = moved(assign(consistent, 5), assign(consistent, 4));
    // 1/5 of the keys lived on the removed peer; only they move.
    expect(consistentMoved).toBeGreaterThan(0.12);
    expect(consistentMoved).toBeLessThan(0.28);

    const plain = () => new Hash(new Template('$request_uri'));
    expect(moved(assign(plain, 5), assign(plain, 4))).toBeGreaterThan(0.6);
  });

  it('keys of a down peer go to the next point on the ring; other keys stay', () => {
    const peers = makePeers([1, 1, 1]);
    const balancer = new ConsistentHash(new Template('$request_uri'), group(peers));
    const before = new Map(KEYS.slice(0, 2000).map((key) => [key, balancer.pick(group(peers), attemptFor(key), 0)!.index]));
    peers[1].down = true;
    for (const [key, index] of before) {
      const now = balancer.pick(group(peers), attemptFor(key), 0)!.index;
      if (index !== 1) expect(now).toBe(index);
      else expect(now).not.toBe(1);
    }
  });

  it('gives heavier peers proportionally more keys', () => {
    const peers = makePeers([3, 1]);
    const balancer = new ConsistentHash(new Template('$request_uri'), group(peers));
    const counts = [0, 0];
    for (const key of KEYS) counts[balancer.pick(group(peers), attemptFor(key), 0)!.index]++;
    expect(counts[0] / KEYS.length).toBeGreaterThan(0.65);
    expect(counts[0] / KEYS.length).toBeLessThan(0.85);
  });
});
