import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import Redis from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, redisConnection, type TenkConfig } from '@tenk/config';
import { MetricsService } from '@tenk/observability';
import { defaultSwitches, SWITCH_NAMES, type SwitchName, type SwitchStates } from './switch-names';

/**
 * The pattern switches, shared by every process of the shop: stored in the queue Redis (a
 * hash), changes broadcast with pub/sub, read from memory (`isOn` costs nothing on the hot
 * path). Without Redis, the boot-time defaults hold.
 */
@Injectable()
export class SwitchesService implements OnModuleInit, OnModuleDestroy {
  readonly #states: SwitchStates;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  /** Per shop: shops sharing a Redis (npm start, e2e, lab) each keep their own switches. */
  readonly #key: string;
  readonly #channel: string;

  constructor(
    @InjectConfig() config: TenkConfig,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.logger.setContext('switches');
    this.#states = defaultSwitches();
    const namespace = config.messaging.queuePrefix ?? 'tenk';
    this.#key = `${namespace}:switches`;
    this.#channel = `${namespace}:switches:changed`;
    const options = { ...redisConnection(config.redis.queue), lazyConnect: true, maxRetriesPerRequest: 1 };
    this.#redis = new Redis(options);
    this.#subscriber = new Redis(options);
    const states = this.#states;
    metrics.gauge('tenk_pattern_switch', 'Pattern switches: 1 = on, 0 = off', ['switch'], function collect() {
      for (const name of SWITCH_NAMES) this.set({ switch: name }, states[name] ? 1 : 0);
    });
  }

  isOn(name: SwitchName): boolean {
    return this.#states[name];
  }

  all(): SwitchStates {
    return { ...this.#states };
  }

  /** Sets a switch for every process of the shop. */
  async set(name: SwitchName, on: boolean): Promise<SwitchStates> {
    await this.#redis.hset(this.#key, name, on ? '1' : '0');
    await this.#redis.publish(this.#channel, JSON.stringify({ name, on }));
    this.#apply(name, on);
    return this.all();
  }

  async onModuleInit(): Promise<void> {
    try {
      await Promise.all([this.#redis.connect(), this.#subscriber.connect()]);
      const stored = await this.#redis.hgetall(this.#key);
      for (const name of SWITCH_NAMES) if (stored[name] !== undefined) this.#apply(name, stored[name] === '1');
      await this.#subscriber.subscribe(this.#channel);
      this.#subscriber.on('message', (_channel, message) => {
        const { name, on } = JSON.parse(message) as { name: SwitchName; on: boolean };
        if ((SWITCH_NAMES as readonly string[]).includes(name)) this.#apply(name, on);
      });
    } catch (error) {
      this.logger.warn({ err: error, switches: this.#states }, 'switch store unavailable: using boot-time defaults');
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.#subscriber.disconnect();
    this.#redis.disconnect();
  }

  #apply(name: SwitchName, on: boolean): void {
    if (this.#states[name] === on) return;
    this.#states[name] = on;
    this.logger.info({ switch: name, on }, `pattern switch ${name} turned ${on ? 'on' : 'off'}`);
  }
}
