import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createClient } from '@keyv/redis';
import { PinoLogger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheKeys } from '../cache-keys';
import { CACHE_SETTINGS, type CacheSettings } from '../cache-settings';

export type CacheRedisClient = ReturnType<typeof createClient>;

/** Longest a boot waits for the cache Redis: the api starts without it and connects later. */
const BOOT_WAIT_MS = 1_000;

/**
 * The two connections to the cache Redis: one for commands (entries, leases, generations) and
 * one subscribed to invalidations. Both reconnect by themselves, forever, with backoff; while
 * a connection is down its commands fail at once (no offline queue), so a request never waits
 * for a Redis that is not there.
 */
@Injectable()
export class CacheRedis implements OnModuleInit, OnApplicationShutdown {
  readonly client: CacheRedisClient;
  readonly subscriber: CacheRedisClient;
  readonly #settings: CacheSettings;
  readonly #readyListeners: Array<() => void> = [];
  readonly #liveListeners: Array<(live: boolean) => void> = [];
  #onMessage: ((message: string) => void) | undefined;
  #subscribed = false;
  #live = false;
  #clientUp: boolean | undefined;

  constructor(
    @Inject(CACHE_SETTINGS) settings: CacheSettings,
    private readonly keys: CacheKeys,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('cache-redis');
    this.#settings = settings;
    const { host, port, username, password, tls } = settings.redis;
    const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 1_000) + Math.floor(Math.random() * 50);
    this.client = createClient({
      name: 'tenk-cache',
      disableOfflineQueue: true,
      // The password and TLS only when configured (TENK_REDIS_PASSWORD, TENK_REDIS_TLS).
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      socket: tls
        ? {
            host,
            port,
            connectTimeout: 2_000,
            reconnectStrategy,
            tls: true,
            servername: host,
            ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
          }
        : { host, port, connectTimeout: 2_000, reconnectStrategy },
    });
    this.subscriber = this.client.duplicate({ name: 'tenk-cache-invalidations' });
    this.client.on('ready', () => this.#clientState(true));
    this.client.on('error', (error: Error) => this.#clientState(false, error));
    // node-redis restores subscriptions before it reports a reconnected client ready.
    this.subscriber.on('ready', () => void this.#subscribe());
    this.subscriber.on('error', () => this.#setLive(false));
    this.subscriber.on('end', () => this.#setLive(false));
  }

  /** True while invalidation messages arrive: only then may a process trust what it remembers of generations. */
  get subscriberLive(): boolean {
    return this.#live;
  }

  get channel(): string {
    return this.keys.channel;
  }

  /** Called each time the command connection becomes ready again after being down. */
  onReady(listener: () => void): void {
    this.#readyListeners.push(listener);
  }

  /** Called when the invalidation subscription goes down or comes back: messages in between are lost. */
  onSubscriberChange(listener: (live: boolean) => void): void {
    this.#liveListeners.push(listener);
  }

  /** Where invalidation messages go; subscribes now if connected, else as soon as it is. */
  listen(onMessage: (message: string) => void): void {
    this.#onMessage = onMessage;
    if (this.subscriber.isReady) void this.#subscribe();
  }

  async onModuleInit(): Promise<void> {
    const connecting = Promise.all([this.client.connect(), this.subscriber.connect()]).catch((error: unknown) =>
      this.logger.warn({ err: error }, 'cache Redis connection failed'),
    );
    await Promise.race([connecting, sleep(BOOT_WAIT_MS, undefined, { ref: false })]);
    if (!this.client.isReady) {
      const { host, port } = this.#settings.redis;
      this.logger.warn(`cache Redis ${host}:${port} is not reachable yet: serving from the database, and connecting in the background`);
    }
  }

  onApplicationShutdown(): void {
    this.#readyListeners.length = 0;
    this.#liveListeners.length = 0;
    for (const connection of [this.subscriber, this.client]) {
      if (connection.isOpen) connection.destroy();
    }
  }

  async #subscribe(): Promise<void> {
    if (!this.#onMessage || !this.subscriber.isReady) return;
    if (!this.#subscribed) {
      try {
        await this.subscriber.subscribe(this.channel, (message: string) => this.#onMessage?.(message));
        this.#subscribed = true;
      } catch (error) {
        this.logger.warn({ err: error }, 'could not subscribe to cache invalidations; trying again on the next reconnect');
        return;
      }
    }
    this.#setLive(this.subscriber.isReady);
  }

  #setLive(live: boolean): void {
    if (live === this.#live) return;
    this.#live = live;
    for (const listener of this.#liveListeners) listener(live);
  }

  #clientState(up: boolean, error?: Error): void {
    if (up && this.#clientUp === false) {
      this.logger.info('cache Redis is back: caching again');
      for (const listener of this.#readyListeners) listener();
    }
    if (!up && this.#clientUp !== false) {
      const { host, port } = this.#settings.redis;
      this.logger.warn({ err: error }, `cache Redis ${host}:${port} unavailable: requests go to the database until it is back`);
    }
    this.#clientUp = up;
  }
}
