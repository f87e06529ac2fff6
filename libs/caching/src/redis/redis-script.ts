import { createHash } from 'node:crypto';
import type { CacheRedisClient } from './cache-redis';

/** A Lua script run by its SHA (EVALSHA), loaded with EVAL the first time a server does not know it. */
export class RedisScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: CacheRedisClient, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await client.evalSha(this.#sha, { keys, arguments: args });
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.#source, { keys, arguments: args });
    }
  }
}
