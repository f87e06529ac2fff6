import { EnvReader } from '../env-reader';

/** Placing orders: idempotency leases, stock holds, and the outbox relay to Kafka. */
export interface OrdersConfig {
  /**
   * How long a request owns its Idempotency-Key before another request with the same key may
   * take over (the first one is presumed dead). Longer than a slow payment call.
   */
  leaseMs: number;
  /** A duplicate request waits this long for the first one to finish before answering 409. */
  duplicateWaitMs: number;
  /** Stock held for an order that never got written is given back after this long. */
  stockHoldMs: number;
  /** How often each api instance settles expired stock holds and prunes old keys. */
  sweepIntervalMs: number;
  /** Idempotency keys (and the responses they replay) are kept this long. */
  keyRetentionMs: number;
  outbox: OutboxRelayConfig;
}

export interface OutboxRelayConfig {
  /** Whether this process relays outbox rows to Kafka (every api instance does by default). */
  relay: boolean;
  /** How often an idle relay looks for new rows (a placed order also wakes it at once). */
  pollIntervalMs: number;
  /** While a shard's outbox stays empty, the poll backs off (doubling) up to this; a nudge or a row resets it. */
  idlePollMaxMs: number;
  /** Rows published per Kafka request. */
  batchSize: number;
  /** After a failed publish, waits double each time up to this. */
  maxBackoffMs: number;
  /** Published rows are deleted after this long. */
  retentionMs: number;
}

export function readOrders(env: EnvReader): OrdersConfig {
  const leaseMs = env.durationMs('TENK_ORDER_LEASE', 30_000);
  const stockHoldMs = env.durationMs('TENK_STOCK_HOLD', 10 * 60_000);
  if (stockHoldMs < 2 * leaseMs) {
    env.problem(
      'TENK_STOCK_HOLD',
      String(stockHoldMs),
      `must be at least twice TENK_ORDER_LEASE (${leaseMs} ms): a hold must outlive the request that took it`,
    );
  }
  return {
    leaseMs,
    duplicateWaitMs: env.durationMs('TENK_ORDER_DUPLICATE_WAIT', 10_000),
    stockHoldMs,
    sweepIntervalMs: env.durationMs('TENK_ORDER_SWEEP_INTERVAL', 30_000),
    keyRetentionMs: env.durationMs('TENK_IDEMPOTENCY_RETENTION', 24 * 3_600_000),
    outbox: {
      relay: env.bool('TENK_OUTBOX_RELAY', true),
      pollIntervalMs: env.durationMs('TENK_OUTBOX_POLL', 250),
      idlePollMaxMs: env.durationMs('TENK_OUTBOX_IDLE_POLL', 2_000),
      batchSize: env.int('TENK_OUTBOX_BATCH', 100, { min: 1, max: 10_000 }),
      maxBackoffMs: env.durationMs('TENK_OUTBOX_MAX_BACKOFF', 30_000),
      retentionMs: env.durationMs('TENK_OUTBOX_RETENTION', 7 * 24 * 3_600_000),
    },
  };
}
