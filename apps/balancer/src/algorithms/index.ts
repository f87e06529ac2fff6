import { hash } from './hash';
import { ipHash } from './ip-hash';
import { leastConn } from './least-conn';
import type { AlgorithmDefinition } from './load-balancer';
import { random } from './random';
import { roundRobin } from './round-robin';

export type { AlgorithmDefinition, LoadBalancer } from './load-balancer';
export { Attempt } from './attempt';

/**
 * Every balancing algorithm. Adding one: write its file (an AlgorithmDefinition and a
 * LoadBalancer), add it here; the config parser, the admin API and the status page pick it up.
 */
export const ALGORITHMS: readonly AlgorithmDefinition[] = [roundRobin, leastConn, ipHash, hash, random];

export function findAlgorithm(name: string): AlgorithmDefinition | undefined {
  return ALGORITHMS.find((algorithm) => algorithm.name === name);
}

/** The algorithm an `upstream` directive selects (`least_conn`, `hash`, ...), if it is one. */
export function algorithmForDirective(directive: string): AlgorithmDefinition | undefined {
  return ALGORITHMS.find((algorithm) => algorithm.directive === directive);
}
