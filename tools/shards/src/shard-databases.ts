import type { DataSource } from 'typeorm';
import type { TenkConfig } from '@tenk/config';
import { createCatalogDataSource, createShardDataSource } from '@tenk/database';

/** The catalog and shard connections of one CLI run, each opened on first use. */
export class CliDatabases {
  readonly #config: TenkConfig;
  readonly #open = new Map<string, Promise<DataSource>>();

  constructor(config: TenkConfig) {
    this.#config = config;
  }

  get shardNames(): readonly string[] {
    return this.#config.postgres.shardDatabases;
  }

  catalog(): Promise<DataSource> {
    return this.#get('catalog', () => createCatalogDataSource(this.#config, 'primary', [], 'shards-cli'));
  }

  shard(name: string): Promise<DataSource> {
    const index = this.#config.postgres.shardDatabases.indexOf(name);
    if (index === -1)
      throw new Error(`no shard database "${name}": TENK_SHARD_DATABASES lists ${this.#config.postgres.shardDatabases.join(', ')}`);
    return this.#get(name, () => createShardDataSource(this.#config, index, [], 'shards-cli'));
  }

  async close(): Promise<void> {
    const sources = await Promise.allSettled(this.#open.values());
    await Promise.all(
      sources.map((result) => (result.status === 'fulfilled' && result.value.isInitialized ? result.value.destroy() : undefined)),
    );
  }

  #get(key: string, create: () => DataSource): Promise<DataSource> {
    let source = this.#open.get(key);
    if (!source) {
      source = create().initialize();
      this.#open.set(key, source);
    }
    return source;
  }
}
