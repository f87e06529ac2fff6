import { LAB_SHOP_URL, parseOptions } from './options';

describe('command line options', () => {
  it('has defaults that need only a scenario', () => {
    const options = parseOptions(['browse']);
    expect(options).toMatchObject({
      scenario: 'browse',
      vus: 1_000,
      rampMs: 30_000,
      holdMs: 60_000,
      url: LAB_SHOP_URL,
      startShop: false,
      clientIps: 100,
      connectionsPerIp: 2,
      targetP99Ms: 200,
      monitor: true,
    });
    expect(options?.think).toEqual({ kind: 'uniform', minMs: 5_000, maxMs: 15_000 });
    expect(options?.mix.map((entry) => entry.scenario.name)).toEqual(['browse']);
  });

  it('reads values in both --key value and --key=value forms', () => {
    const options = parseOptions([
      'mixed',
      '--vus=10000',
      '--ramp',
      '1m',
      '--think',
      'exp:8s',
      '--mix',
      'browse=3,buy=1',
      '--start-shop',
      '--shop-env',
      'TENK_SWITCH_CACHE=off',
      '--shop-env',
      'TENK_LOG_LEVEL=error',
    ]);
    expect(options).toMatchObject({
      vus: 10_000,
      rampMs: 60_000,
      startShop: true,
      clientIps: 1_000,
      shopEnv: { TENK_SWITCH_CACHE: 'off', TENK_LOG_LEVEL: 'error' },
    });
    expect(options?.mix.map((entry) => [entry.scenario.name, entry.weight])).toEqual([
      ['browse', 3],
      ['buy', 1],
    ]);
  });

  it('sends from one address to a host that is not this machine', () => {
    expect(parseOptions(['browse', '--url', 'http://shop.example.com:8080'])?.clientIps).toBe(1);
  });

  it('answers --help with null', () => {
    expect(parseOptions(['--help'])).toBeNull();
  });

  it('names what is wrong', () => {
    expect(() => parseOptions([])).toThrow('name a scenario');
    expect(() => parseOptions(['shop'])).toThrow('unknown scenario "shop"');
    expect(() => parseOptions(['browse', '--vus', '0'])).toThrow('--vus must be a whole number from 1 to 50,000');
    expect(() => parseOptions(['browse', '--ramp', 'later'])).toThrow('--ramp "later" is not a duration');
    expect(() => parseOptions(['browse', '--colour', 'red'])).toThrow('unknown option --colour');
    expect(() => parseOptions(['browse', '--mix', 'browse=1'])).toThrow('--mix is for the mixed scenario');
    expect(() => parseOptions(['browse', '--start-shop', '--url', 'http://127.0.0.1:8080'])).toThrow('leave out --url');
    expect(() => parseOptions(['browse', '--api-instances', '3'])).toThrow('only apply with --start-shop');
    expect(() => parseOptions(['browse', '--start-shop', '--shop-env', 'lower=1'])).toThrow('KEY=VALUE');
    expect(() => parseOptions(['browse', '--url', 'not a url'])).toThrow('is not a URL');
    expect(() => parseOptions(['browse', '--name', '../x'])).toThrow('--name');
    expect(() => parseOptions(['browse', '--vus'])).toThrow('--vus needs a value');
    expect(() => parseOptions(['browse', '--start-shop=yes'])).toThrow('--start-shop takes no value');
    expect(() => parseOptions(['browse', '--vus', '10', '--vus=20'])).toThrow('--vus is given more than once');
    expect(() => parseOptions(['browse', '-x'])).toThrow('unknown option -x');
  });

  it('answers -h and --help with the help text', () => {
    expect(parseOptions(['-h'])).toBeNull();
    expect(parseOptions(['browse', '--help'])).toBeNull();
  });
});
