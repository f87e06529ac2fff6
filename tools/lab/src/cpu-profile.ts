/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and sums its self time by component: the package
 * a function belongs to (`express`, `pino`, `@nestjs/core`, ...), Node's own code (`node:http`
 * and friends, by module), the workspace's own code (`tenk: libs/caching`), garbage collection,
 * and the idle loop. What the lab's efficiency experiment prints as "where a request's time goes".
 */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time per component in microseconds, largest first; `(idle)` and `(program)` kept apart.
 * `window`: only the samples taken between `fromEndUs` and `toEndUs` microseconds before the
 * profile ended (a process profiled from start to exit: the load phase, without boot and shutdown).
 */
export function selfTimeByComponent(
  profile: CpuProfile,
  window?: { fromEndUs: number; toEndUs: number },
): Array<{ component: string; us: number }> {
  const componentOf = new Map<number, string>();
  for (const node of profile.nodes) componentOf.set(node.id, componentOfFrame(node.callFrame));
  const totals = new Map<string, number>();
  // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    const beforeEnd = profile.endTime - at;
    if (window && (beforeEnd > window.fromEndUs || beforeEnd < window.toEndUs)) continue;
    const us = profile.timeDeltas[i + 1] ?? 0;
    const component = componentOf.get(profile.samples[i]) ?? '(unknown)';
    totals.set(component, (totals.get(component) ?? 0) + us);
  }
  return [...totals.entries()].map(([component, us]) => ({ component, us })).sort((a, b) => b.us - a.us);
}

/** The component a call frame belongs to. */
export function componentOfFrame(frame: { functionName: string; url: string }): string {
  const { functionName, url } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(idle)' || functionName === '(program)' || functionName === '(root)') return functionName;
    // Builtins and native functions (JSON.stringify, RegExp exec, ...) with no script.
    return 'V8 builtins';
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) {
    const name = url.slice('node:'.length).replace(/^internal\//, '');
    const first = name.split('/')[0];
    return `node:${first === 'streams' || first === 'stream' ? 'stream' : first}`;
  }
  const workspace = /\/(?:dist\/)?((?:apps|libs|tools)\/[^/]+)\//.exec(url);
  if (workspace) return `tenk: ${workspace[1]}`;
  return url;
}
