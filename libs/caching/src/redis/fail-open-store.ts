import { EventEmitter } from 'node:events';
import type KeyvRedis from '@keyv/redis';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { RedisGuard } from './redis-guard';

/**
 * A Keyv store in front of @keyv/redis that runs each operation through the RedisGuard
 * (timeout + breaker) and answers "nothing there" when Redis fails, instead of throwing or
 * waiting. cache-manager on top of it therefore never holds a request up: a dead or slow
 * Redis reads as a miss, and the miss goes to the database.
 */
export class FailOpenStore extends EventEmitter implements KeyvStoreAdapter {
  readonly opts = { dialect: 'redis', failOpen: true };
  namespace: string | undefined;
  readonly #redis: KeyvRedis<string>;
  readonly #guard: RedisGuard;

  constructor(redis: KeyvRedis<string>, guard: RedisGuard) {
    super();
    this.#redis = redis;
    this.#guard = guard;
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const outcome = await this.#guard.run('get', () => this.#redis.get(key));
    return outcome.ok ? (outcome.value as StoredData<Value> | undefined) : undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const outcome = await this.#guard.run('get', () => this.#redis.getMany(keys));
    return outcome.ok ? (outcome.value as Array<StoredData<Value | undefined>>) : keys.map(() => undefined);
  }

  async set(key: string, value: string, ttl?: number): Promise<boolean> {
    const outcome = await this.#guard.run('set', () => this.#redis.set(key, value, ttl));
    return outcome.ok;
  }

  async delete(key: string): Promise<boolean> {
    const outcome = await this.#guard.run('delete', () => this.#redis.delete(key));
    return outcome.ok && outcome.value;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    const outcome = await this.#guard.run('delete', () => this.#redis.deleteMany(keys));
    return outcome.ok && outcome.value;
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Never wipes Redis: old entries are orphaned by generations and versions, and expire. */
  async clear(): Promise<void> {
    return undefined;
  }

  /** The connection belongs to CacheRedis, which closes it on shutdown. */
  async disconnect(): Promise<void> {
    return undefined;
  }
}
