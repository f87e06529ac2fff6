import type { Peer, PeerGroup } from '../upstream/peer';
import type { Attempt } from './attempt';

/**
 * A balancing algorithm: picks one peer of a group for an attempt. It skips peers the
 * attempt already tried and peers that are unavailable (upstream/availability.ts), and
 * returns null when none is left. Book-keeping on pick and release (conns, failures) is the
 * Upstream's, written once for all algorithms.
 */
export interface LoadBalancer {
  /** The algorithm's name, as the registry and the admin API know it. */
  readonly name: string;
  /** How the config writes it (`hash $request_uri consistent`), for the status page. */
  readonly description: string;
  /** Whether it compares requests in flight (least_conn, random two): with workers, a zone then shares them. */
  readonly readsInFlight: boolean;
  pick(group: PeerGroup, attempt: Attempt, now: number): Peer | null;
}

/** One entry of the algorithm registry: adding an algorithm is one of these in one file. */
export interface AlgorithmDefinition {
  /** Registry key; also the `upstream` directive that selects it (except round_robin). */
  readonly name: string;
  /** The upstream directive, or null for round_robin (the default, which has none). */
  readonly directive: string | null;
  /** Whether `backup` servers work with it (nginx: not with hash, ip_hash or random). */
  readonly supportsBackup: boolean;
  /** Most arguments the directive takes. */
  readonly maxArgs: number;
  /** Returns what is wrong with the directive's arguments, or null when they are fine. */
  validate(args: readonly string[]): string | null;
  /** Builds the algorithm for an upstream's primary peers. */
  create(args: readonly string[], primaries: PeerGroup): LoadBalancer;
}
