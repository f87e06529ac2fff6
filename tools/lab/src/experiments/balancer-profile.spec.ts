import { componentOf, profileShares, type CpuProfile } from './balancer-profile';

describe('profileShares', () => {
  it('splits busy self time by component and leaves idle time out', () => {
    const frame = (functionName: string, url = '') => ({ functionName, url });
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(idle)') },
        { id: 2, callFrame: frame('onHeaders', 'file:///w/dist/apps/balancer/src/http/proxy-exchange.js') },
        { id: 3, callFrame: frame('writev') },
        { id: 4, callFrame: frame('execute', 'file:///w/node_modules/undici/lib/dispatcher/client-h1.js') },
        { id: 5, callFrame: frame('_storeHeader', 'node:_http_outgoing') },
      ],
      samples: [1, 2, 3, 3, 4, 5, 1],
      timeDeltas: [500, 10, 20, 20, 30, 20, 500],
    };
    const shares = profileShares(profile);
    expect(shares['tenk']).toBeCloseTo(0.1);
    expect(shares['socket_writes']).toBeCloseTo(0.4);
    expect(shares['undici']).toBeCloseTo(0.3);
    expect(shares['node_http']).toBeCloseTo(0.2);
    expect(Object.values(shares).reduce((sum, share) => sum + share, 0)).toBeCloseTo(1);
  });

  it('knows WebAssembly is undici and module loading is not the hot path', () => {
    expect(componentOf('wasm-function[20]', 'wasm://wasm/00034eea')).toBe('undici');
    expect(componentOf('wrapSafe', 'node:internal/modules/cjs/loader')).toBe('other');
    expect(componentOf('emit', 'node:events')).toBe('node_streams');
  });
});
