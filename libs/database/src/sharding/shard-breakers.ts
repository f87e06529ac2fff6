import type { ResilienceService } from '@tenk/resilience';
import { isConnectionFailure } from '../replica/connection-failure';
import { sqlState } from '../sql-state';
import type { ShardCallPolicy } from './shard-router';

/**
 * The ShardRouter's call policy when libs/resilience is there: one circuit breaker per shard
 * database (policy `shard`, key `shard:<database>`), so a dead or hanging shard fails fast with
 * CircuitOpenError for the customers whose buckets it holds, and only for them.
 *
 * Breaker only, no client-side timeout: every shard transaction already carries a server-side
 * statement_timeout (see ShardRouter), and abandoning a write on the client while it may still
 * commit on the server would leave the caller guessing. Statement timeouts (57014) and slow
 * calls still count against the breaker.
 */
export function shardBreakers(resilience: ResilienceService): ShardCallPolicy {
  return {
    execute: (call, work) => resilience.execute(`shard:${call.shard}`, () => work(), { layers: ['breaker'], isFailure: isShardFailure }),
  };
}

/**
 * The shard itself is unwell: unreachable, refusing connections, out of resources, timing out.
 * Not the query's fault (a constraint, a bad value), nor a bucket on the move or a lock held by
 * a move: those are answers from a healthy shard.
 */
export function isShardFailure(error: unknown): boolean {
  if (isConnectionFailure(error)) return true;
  const code = sqlState(error);
  if (code === undefined) return false;
  return SHARD_DOWN_CODES.has(code) || SHARD_DOWN_CLASSES.has(code.slice(0, 2));
}

/** database does not exist, not accepting connections (ALLOW_CONNECTIONS false). */
const SHARD_DOWN_CODES = new Set(['3D000', '55000']);
/** invalid authorization, insufficient resources, operator intervention (incl. statement timeout), system error, internal error. */
const SHARD_DOWN_CLASSES = new Set(['28', '53', '57', '58', 'XX']);
