/**
 * Each pattern can be turned off and on while the shop runs, so the lab and the live map can
 * show its effect: `cache` (libs/caching), `breakers` (libs/resilience), `async` (slow work on
 * queues rather than in the request), `replicaReads` (catalog reads on the replica).
 */
export const SWITCH_NAMES = ['cache', 'breakers', 'async', 'replicaReads'] as const;
export type SwitchName = (typeof SWITCH_NAMES)[number];
export type SwitchStates = Record<SwitchName, boolean>;

/** Boot-time defaults: every pattern on, unless TENK_SWITCH_<NAME>=off (e.g. TENK_SWITCH_CACHE=off). */
export function defaultSwitches(env: Record<string, string | undefined> = process.env): SwitchStates {
  const read = (name: SwitchName) => {
    // replicaReads -> TENK_SWITCH_REPLICA_READS
    const variable = `TENK_SWITCH_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
    const raw = env[variable]?.toLowerCase();
    if (raw === undefined || raw === '') return true;
    if (['on', 'true', '1', 'yes'].includes(raw)) return true;
    if (['off', 'false', '0', 'no'].includes(raw)) return false;
    throw new Error(`${variable}="${raw}": expected on or off`);
  };
  return { cache: read('cache'), breakers: read('breakers'), async: read('async'), replicaReads: read('replicaReads') };
}
