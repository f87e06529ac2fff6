import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { HealthRegistry } from '@tenk/observability';
import { createShardDataSource } from './data-source.factory';
import { DATABASE_OPTIONS, type DatabaseOptions } from './database.module-definition';
import { LazyDataSource } from './lazy-data-source';

/**
 * One lazily connected DataSource per physical order shard. A dead shard never stops the
 * process: only requests that need that shard fail.
 */
@Injectable()
export class ShardDatabases implements OnModuleInit, OnModuleDestroy {
  readonly #shards: LazyDataSource[];
  readonly #names: string[];

  constructor(
    @InjectConfig() config: TenkConfig,
    @Inject(DATABASE_OPTIONS) options: DatabaseOptions,
    private readonly health: HealthRegistry,
  ) {
    this.#names = config.postgres.shardDatabases;
    this.#shards = this.#names.map(
      (name, shard) => new LazyDataSource(name, createShardDataSource(config, shard, options.shardEntities ?? [], options.processName)),
    );
  }

  get count(): number {
    return this.#shards.length;
  }

  names(): readonly string[] {
    return this.#names;
  }

  /** The shard's lazily connected DataSource. Throws if `shard` is out of range. */
  get(shard: number): LazyDataSource {
    const source = this.#shards[shard];
    if (!source) throw new RangeError(`shard ${shard} does not exist (0..${this.#shards.length - 1})`);
    return source;
  }

  /** The shard database called `name` (as the shard map names them). */
  byName(name: string): LazyDataSource {
    const index = this.#names.indexOf(name);
    if (index === -1) throw new RangeError(`no shard database "${name}": TENK_SHARD_DATABASES lists ${this.#names.join(', ')}`);
    return this.get(index);
  }

  onModuleInit(): void {
    this.#shards.forEach((source, shard) => {
      this.health.register({
        name: `postgres-${this.#names[shard]}`,
        critical: false,
        check: async () => {
          await (await source.get()).query('SELECT 1');
        },
      });
    });
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.#shards.map((source) => source.close()));
  }
}
