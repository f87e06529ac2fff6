import { Injectable, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, redisConnection, type TenkConfig } from '@tenk/config';

/**
 * The connection behind sessions and sign-in counters: the queue Redis (noeviction + AOF), so
 * a full cache can never evict a session or a lockout, and a Redis restart keeps both. Keys
 * live under `tenk:` (`tenk:session:*`, `tenk:login:*`).
 */
@Injectable()
export class AuthRedis implements OnModuleDestroy {
  readonly client: Redis;
  #down = false;

  constructor(@InjectConfig() config: TenkConfig, logger: PinoLogger) {
    logger.setContext(AuthRedis.name);
    this.client = new Redis({
      ...redisConnection(config.redis.queue),
      keyPrefix: 'tenk:',
      maxRetriesPerRequest: 2,
      connectTimeout: 2_000,
    });
    // ioredis reconnects by itself; meanwhile sign-ins answer 503 and private routes 401.
    // Log the outage once, not once per retry.
    this.client.on('error', (error: Error) => {
      if (this.#down) return;
      this.#down = true;
      logger.error({ err: error }, 'sessions Redis unreachable: sign-ins and private routes fail until it is back');
    });
    this.client.on('ready', () => {
      if (!this.#down) return;
      this.#down = false;
      logger.info('sessions Redis reachable again');
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
