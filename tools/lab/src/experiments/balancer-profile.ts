import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of a V8 CPU profile (`node --cpu-prof`) read here. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where a profile's self time goes, by component, in the order a report lists them: tenk's own
 * code (apps/balancer); undici, the upstream client (its llhttp parser is WebAssembly); Node's
 * HTTP server and ServerResponse (node:_http_*); Node's streams, sockets, events and timers (the
 * other node: modules); socket writes (the native writev/write calls: nearly all of it is the
 * kernel sending on loopback TCP); tracing (OpenTelemetry and libs/observability); garbage
 * collection; other (V8's own work, natives, module loading at start).
 */
export const COMPONENTS = ['tenk', 'undici', 'node_http', 'node_streams', 'socket_writes', 'tracing', 'gc', 'other'] as const;
export type Component = (typeof COMPONENTS)[number];

const NATIVE_WRITES = new Set(['writev', 'writeLatin1String', 'writeUtf8String', 'writeBuffer', 'writeAsciiString', 'writeUcs2String']);

/** The component a profile node's own time belongs to. */
export function componentOf(functionName: string, url: string): Component | 'idle' {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'gc';
  if (url === '' && NATIVE_WRITES.has(functionName)) return 'socket_writes';
  if (url.includes('/apps/balancer/')) return 'tenk';
  if (url.includes('/undici/') || url.startsWith('wasm://')) return 'undici';
  if (url.includes('@opentelemetry') || url.includes('/libs/observability/')) return 'tracing';
  if (url.startsWith('node:_http')) return 'node_http';
  if (url.startsWith('node:') && !url.startsWith('node:internal/modules')) return 'node_streams';
  return 'other';
}

/** Each component's share (0-1) of the profile's busy (not idle) self time. */
export function profileShares(profile: CpuProfile): Record<Component, number> {
  const byNode = new Map<number, Component | 'idle'>();
  for (const node of profile.nodes) byNode.set(node.id, componentOf(node.callFrame.functionName, node.callFrame.url));
  const totals = new Map<Component, number>(COMPONENTS.map((component) => [component, 0]));
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const component = byNode.get(profile.samples[i]) ?? 'other';
    if (component === 'idle') continue;
    const delta = profile.timeDeltas[i] ?? 0;
    totals.set(component, (totals.get(component) ?? 0) + delta);
    busy += delta;
  }
  return Object.fromEntries(COMPONENTS.map((component) => [component, busy === 0 ? 0 : (totals.get(component) ?? 0) / busy])) as Record<
    Component,
    number
  >;
}

/** The profile `--cpu-prof --cpu-prof-dir=DIR` wrote (the newest, if several). */
export function readProfile(dir: string): CpuProfile {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort();
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}: did the balancer exit cleanly?`);
  return JSON.parse(readFileSync(path.join(dir, files[files.length - 1]), 'utf8')) as CpuProfile;
}
