import { Injectable, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, redisConnection, type TenkConfig } from '@tenk/config';
import { queuePrefix } from '@tenk/messaging';

/** One fixed window: at most `limit` events per `windowMs`, counted under `key`. */
export interface RateWindow {
  key: string;
  limit: number;
  windowMs: number;
}

/** A window after one more event: its count, whether that is past the limit, and when it reopens. */
export interface WindowCount {
  count: number;
  over: boolean;
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters that every api instance shares, in the queue Redis (noeviction, AOF:
 * a full cache never evicts a limit, a restart keeps it). The window opens at its first event
 * and its count starts again when it closes. Keys live under `<queue prefix>:rate:`, so shops
 * sharing a Redis (the e2e shop, lab shops) each count their own.
 *
 * An event is counted before the work it guards, and counted even when it is refused: checking
 * first and counting after would let a burst of parallel requests all pass the check.
 * Throws when Redis cannot be reached; callers decide what that means for their route.
 */
@Injectable()
export class RateLimiter implements OnModuleDestroy {
  readonly #redis: Redis;
  #down = false;

  constructor(@InjectConfig() config: TenkConfig, logger: PinoLogger) {
    logger.setContext(RateLimiter.name);
    this.#redis = new Redis({
      ...redisConnection(config.redis.queue),
      keyPrefix: `${queuePrefix(config)}:rate:`,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
    });
    // ioredis reconnects by itself: log the outage once, not once per retry.
    this.#redis.on('error', (error: Error) => {
      if (this.#down) return;
      this.#down = true;
      logger.error({ err: error }, 'rate-limit Redis unreachable: rate-limited routes answer 503 until it is back');
    });
    this.#redis.on('ready', () => {
      if (!this.#down) return;
      this.#down = false;
      logger.info('rate-limit Redis reachable again');
    });
  }

  /** Counts one event in each window, in one round trip; the counts say which are over. */
  async hit(...windows: RateWindow[]): Promise<WindowCount[]> {
    const transaction = this.#redis.multi();
    for (const { key, windowMs } of windows) transaction.incr(key).pexpire(key, windowMs, 'NX').pttl(key);
    const replies = await transaction.exec();
    if (!replies) throw new Error('the rate-limit transaction was aborted');
    const values = replies.map(([error, value]) => {
      if (error) throw error;
      return Number(value);
    });
    return windows.map(({ limit, windowMs }, i) => {
      const count = values[i * 3];
      const ttlMs = values[i * 3 + 2];
      return { count, over: count > limit, retryAfterSeconds: Math.max(1, Math.ceil((ttlMs > 0 ? ttlMs : windowMs) / 1000)) };
    });
  }

  /** Takes one event back (it turned out not to count); the key goes when nothing is left. */
  async takeBack(key: string): Promise<void> {
    // The window may have closed in between, leaving -1 without an expiry: remove it.
    if ((await this.#redis.decr(key)) <= 0) await this.#redis.del(key);
  }

  /** Forgets a window's events. */
  async reset(key: string): Promise<void> {
    await this.#redis.del(key);
  }

  async onModuleDestroy(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
