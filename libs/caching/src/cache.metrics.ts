import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { annotateActiveSpan, MetricsService } from '@tenk/observability';

/**
 * How a lookup ended:
 * - `hit`: a fresh entry (detail: `local` tier or `shared` Redis tier)
 * - `stale`: a stale entry served while one caller refreshes it in the background
 * - `miss`: this caller loaded it from the source
 * - `coalesced`: answered by a load another caller ran (detail: `process`, or `cluster` for another instance)
 * - `bypass`: the cache was not used (detail: `switch_off`, `redis_unavailable`, `pending_invalidation`, `settling`: just invalidated)
 */
export type LookupOutcome = 'hit' | 'stale' | 'miss' | 'coalesced' | 'bypass';
export type LookupDetail =
  'local' | 'shared' | 'process' | 'cluster' | 'switch_off' | 'redis_unavailable' | 'pending_invalidation' | 'settling' | '';
export type RedisOperation = 'get' | 'set' | 'delete' | 'lease' | 'generations' | 'invalidate' | 'ping';
export type RedisFailure = 'timeout' | 'error' | 'breaker_open';

/** Prometheus metrics of libs/caching, labelled by cache point (`CatalogService.get`, `GET /products/:id`, `sql`). */
@Injectable()
export class CacheMetrics {
  readonly #lookups: Counter<'cache' | 'outcome' | 'detail'>;
  readonly #loads: Counter<'cache' | 'result'>;
  readonly #loadSeconds: Histogram<'cache'>;
  readonly #errors: Counter<'operation' | 'reason'>;
  readonly #invalidations: Counter<'result'>;
  readonly #breaker: Gauge;

  constructor(metrics: MetricsService) {
    this.#lookups = metrics.counter('tenk_cache_lookups_total', 'Cache lookups by how they ended (hit, stale, miss, coalesced, bypass)', [
      'cache',
      'outcome',
      'detail',
    ]);
    this.#loads = metrics.counter('tenk_cache_loads_total', 'Loads from the source (the database) run by the cache on a miss or refresh', [
      'cache',
      'result',
    ]);
    this.#loadSeconds = metrics.histogram(
      'tenk_cache_load_seconds',
      'How long cache loads from the source took',
      ['cache'],
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    );
    this.#errors = metrics.counter(
      'tenk_cache_redis_errors_total',
      'Cache Redis operations that failed open (the request went on without the cache)',
      ['operation', 'reason'],
    );
    this.#invalidations = metrics.counter('tenk_cache_invalidations_total', 'Tag invalidations (generation bumps), by result', ['result']);
    this.#breaker = metrics.gauge(
      'tenk_cache_redis_breaker_state',
      'The cache Redis breaker: 0 closed (in use), 1 open (bypassed), 2 half-open (probing)',
    );
  }

  lookup(cache: string, outcome: LookupOutcome, detail: LookupDetail = ''): void {
    this.#lookups.inc({ cache, outcome, detail });
    annotateActiveSpan({ 'tenk.cache.name': cache, 'tenk.cache.outcome': outcome, 'tenk.cache.detail': detail || undefined });
  }

  load(cache: string, result: 'ok' | 'not_found' | 'error', seconds: number): void {
    this.#loads.inc({ cache, result });
    this.#loadSeconds.observe({ cache }, seconds);
  }

  redisFailure(operation: RedisOperation, reason: RedisFailure): void {
    this.#errors.inc({ operation, reason });
  }

  invalidation(result: 'ok' | 'failed', tags: number): void {
    this.#invalidations.inc({ result }, tags);
  }

  breakerState(state: 'closed' | 'open' | 'half-open'): void {
    this.#breaker.set(state === 'closed' ? 0 : state === 'open' ? 1 : 2);
  }
}
