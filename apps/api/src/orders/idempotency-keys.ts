import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ShardScope } from '@tenk/database';
import type { OrderView } from './orders.dto';
import type { Quote } from './order-quote';

/**
 * An Idempotency-Key as its customer's shard records it. `attempt` is the request allowed to
 * write the order now (a fencing token): a request whose lease lapsed (it crashed, or hung) is
 * replaced by the next request with the same key, and can then no longer write.
 */
export interface KeyRecord {
  customerId: string;
  key: string;
  requestHash: string;
  orderId: string;
  state: 'in_progress' | 'completed';
  attempt: string | null;
  /** Whether the current attempt's lease still runs (by the shard's clock). */
  leased: boolean;
  quote: Quote;
  response: OrderView | null;
}

interface KeyRow {
  customer_id: string;
  key: string;
  request_hash: string;
  order_id: string;
  state: 'in_progress' | 'completed';
  attempt: string | null;
  leased: boolean;
  quote: Quote;
  response_body: OrderView | null;
}

const COLUMNS = 'customer_id, key, request_hash, order_id, state, attempt, lease_until > now() AS leased, quote, response_body';

/**
 * Idempotency keys on the customer's shard, next to their orders, so claiming a key and
 * writing the order it leads to share one database and one transaction.
 */
@Injectable()
export class IdempotencyKeys {
  async find(scope: ShardScope, customerId: string, key: string): Promise<KeyRecord | undefined> {
    return scope.read(async (manager) =>
      toRecord(await one(manager, `SELECT ${COLUMNS} FROM idempotency_keys WHERE customer_id = $1 AND key = $2`, [customerId, key])),
    );
  }

  /** Records a new key owned by `attempt`; false when the key exists already (a duplicate won). */
  async claim(
    scope: ShardScope,
    claim: { customerId: string; key: string; requestHash: string; orderId: string; quote: Quote; attempt: string; leaseMs: number },
  ): Promise<boolean> {
    return scope.write(async (manager) => {
      const rows = (await manager.query(
        `INSERT INTO idempotency_keys (customer_id, key, bucket, request_hash, order_id, state, attempt, lease_until, quote)
         VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, now() + $7 * interval '1 millisecond', $8)
         ON CONFLICT (customer_id, key) DO NOTHING RETURNING key`,
        [
          claim.customerId,
          claim.key,
          scope.bucket,
          claim.requestHash,
          claim.orderId,
          claim.attempt,
          claim.leaseMs,
          JSON.stringify(claim.quote),
        ],
      )) as unknown[];
      return rows.length === 1;
    });
  }

  /**
   * Takes over a key whose lease lapsed, if it still belongs to `previous` (compare-and-set:
   * of two requests taking over at once, one wins). Returns the record as taken over.
   */
  async takeOver(
    scope: ShardScope,
    customerId: string,
    key: string,
    previous: string | null,
    attempt: string,
    leaseMs: number,
  ): Promise<KeyRecord | undefined> {
    return scope.write(async (manager) =>
      toRecord(
        await one(
          manager,
          `UPDATE idempotency_keys SET attempt = $4, lease_until = now() + $5 * interval '1 millisecond', updated_at = now()
           WHERE customer_id = $1 AND key = $2 AND state = 'in_progress' AND lease_until <= now() AND attempt IS NOT DISTINCT FROM $3::uuid
           RETURNING ${COLUMNS}`,
          [customerId, key, previous, attempt, leaseMs],
        ),
      ),
    );
  }

  /**
   * The attempt gives up but the request may be retried (e.g. the payment provider did not
   * answer): the key stays, with its order id and quote, so a retry pays with the same payment
   * idempotency key and is not charged twice; its lease ends now so the retry need not wait.
   */
  async release(scope: ShardScope, customerId: string, key: string, attempt: string): Promise<void> {
    await scope.write((manager) =>
      manager.query(
        `UPDATE idempotency_keys SET attempt = NULL, lease_until = now(), updated_at = now() WHERE customer_id = $1 AND key = $2 AND attempt = $3 AND state = 'in_progress'`,
        [customerId, key, attempt],
      ),
    );
  }

  /** The request failed for good (out of stock, declined): nothing of it is kept, the key is free again. */
  async forget(scope: ShardScope, customerId: string, key: string, attempt: string): Promise<void> {
    await scope.write((manager) =>
      manager.query(`DELETE FROM idempotency_keys WHERE customer_id = $1 AND key = $2 AND attempt = $3 AND state = 'in_progress'`, [
        customerId,
        key,
        attempt,
      ]),
    );
  }

  /**
   * Inside the order's write transaction: locks the key and says whether `attempt` may write
   * the order ('mine'), another request already did ('completed'), or the attempt lost its
   * claim ('lost').
   */
  async lockForWrite(
    manager: EntityManager,
    customerId: string,
    key: string,
    attempt: string,
  ): Promise<{ status: 'mine' } | { status: 'completed'; response: OrderView } | { status: 'lost' }> {
    const row = await one(manager, `SELECT ${COLUMNS} FROM idempotency_keys WHERE customer_id = $1 AND key = $2 FOR UPDATE`, [
      customerId,
      key,
    ]);
    if (row?.state === 'completed' && row.response_body) return { status: 'completed', response: row.response_body };
    if (row?.state === 'in_progress' && row.attempt === attempt) return { status: 'mine' };
    return { status: 'lost' };
  }

  /** Inside the order's write transaction: the key now answers with `response` forever. */
  async complete(manager: EntityManager, customerId: string, key: string, response: OrderView): Promise<void> {
    await manager.query(
      `UPDATE idempotency_keys SET state = 'completed', attempt = NULL, response_status = 201, response_body = $3, updated_at = now() WHERE customer_id = $1 AND key = $2`,
      [customerId, key, JSON.stringify(response)],
    );
  }
}

async function one(manager: EntityManager, sql: string, parameters: unknown[]): Promise<KeyRow | undefined> {
  const result = (await manager.query(sql, parameters)) as KeyRow[] | [KeyRow[], number];
  const rows = Array.isArray(result[0]) ? (result[0] as KeyRow[]) : (result as KeyRow[]);
  return rows[0];
}

function toRecord(row: KeyRow | undefined): KeyRecord | undefined {
  if (!row) return undefined;
  return {
    customerId: row.customer_id,
    key: row.key,
    requestHash: row.request_hash,
    orderId: row.order_id,
    state: row.state,
    attempt: row.attempt,
    leased: row.leased,
    quote: row.quote,
    response: row.response_body,
  };
}
