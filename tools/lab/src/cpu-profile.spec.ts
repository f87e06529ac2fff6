import { componentOfFrame, selfTimeByComponent, type CpuProfile } from './cpu-profile';

describe('selfTimeByComponent', () => {
  it('sums each sample into the component of the function it landed in', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '' }, children: [2, 3, 4] },
        { id: 2, callFrame: { functionName: 'send', url: 'file:///w/node_modules/express/lib/response.js' } },
        { id: 3, callFrame: { functionName: 'intercept', url: 'file:///w/dist/libs/caching/src/http/x.js' } },
        { id: 4, callFrame: { functionName: '(garbage collector)', url: '' } },
      ],
      startTime: 0,
      endTime: 100,
      samples: [2, 3, 2, 4],
      timeDeltas: [0, 10, 20, 30],
    };
    expect(selfTimeByComponent(profile)).toEqual([
      { component: 'express', us: 40 },
      { component: 'tenk: libs/caching', us: 20 },
      { component: 'garbage collection', us: 0 },
    ]);
  });

  it('keeps only the samples of a window before the end', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: 'boot', url: 'node:internal/modules/cjs/loader' } },
        { id: 2, callFrame: { functionName: 'send', url: 'file:///w/node_modules/express/lib/response.js' } },
      ],
      startTime: 1_000,
      endTime: 1_100,
      samples: [1, 2, 2, 1],
      timeDeltas: [10, 20, 20, 20],
    };
    // Samples at 1010, 1030, 1050, 1070: 90, 70, 50 and 30 µs before the end.
    expect(selfTimeByComponent(profile, { fromEndUs: 75, toEndUs: 40 })).toEqual([{ component: 'express', us: 40 }]);
  });
});

describe('componentOfFrame', () => {
  it('names scoped packages, Node modules and builtins', () => {
    expect(componentOfFrame({ functionName: 'x', url: 'file:///w/node_modules/@nestjs/core/router/x.js' })).toBe('@nestjs/core');
    expect(componentOfFrame({ functionName: 'x', url: 'node:internal/streams/writable' })).toBe('node:stream');
    expect(componentOfFrame({ functionName: 'x', url: 'node:_http_server' })).toBe('node:_http_server');
    expect(componentOfFrame({ functionName: 'stringify', url: '' })).toBe('V8 builtins');
  });
});
