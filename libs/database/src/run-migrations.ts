import type { TenkConfig } from '@tenk/config';
import { createCatalogDataSource, createShardDataSource } from './data-source.factory';
import { ShardMap } from './sharding/shard-map';
import { loadShardMap, publishShardMap } from './sharding/shard-map.store';

export interface MigrationReport {
  database: string;
  applied: string[];
}

/**
 * Runs pending migrations on the catalog database and on every shard, each in its own
 * transaction and tracked in that database's own `migrations` table, so a shard added later
 * catches up by itself. Then makes sure the shard map exists (version 1 from the
 * configuration) and that every shard knows which buckets it owns. Returns what was applied where.
 */
export async function runAllMigrations(
  config: TenkConfig,
  onProgress: (line: string) => void = () => undefined,
): Promise<MigrationReport[]> {
  const targets = [
    { database: config.postgres.catalogDatabase, source: createCatalogDataSource(config, 'primary', [], 'migrate') },
    ...config.postgres.shardDatabases.map((database, shard) => ({ database, source: createShardDataSource(config, shard, [], 'migrate') })),
  ];
  const reports: MigrationReport[] = [];
  for (const { database, source } of targets) {
    await source.initialize();
    try {
      const applied = await source.runMigrations({ transaction: 'each' });
      reports.push({ database, applied: applied.map((migration) => migration.name) });
      onProgress(`${database}: ${applied.length === 0 ? 'up to date' : `applied ${applied.map((m) => m.name).join(', ')}`}`);
    } finally {
      await source.destroy();
    }
  }
  await bootstrapShardMap(config, onProgress);
  return reports;
}

/**
 * Writes shard map version 1 from the configuration if the catalog has none, and gives each
 * shard that has no bucket records yet the buckets the current map assigns it. Never changes
 * an existing map or existing records: moving buckets is `npm run shards -- rebalance`.
 */
export async function bootstrapShardMap(config: TenkConfig, onProgress: (line: string) => void = () => undefined): Promise<ShardMap> {
  const catalog = createCatalogDataSource(config, 'primary', [], 'migrate');
  await catalog.initialize();
  let map: ShardMap;
  try {
    const stored = await loadShardMap(catalog);
    if (stored) {
      map = stored;
    } else {
      map = new ShardMap(1, config.dataRouting.sharding.initialMap);
      await publishShardMap(catalog, map, 'initial map from the configuration');
      onProgress(`shard map: wrote version 1 (${map.buckets} buckets over ${map.shards().join(', ')})`);
    }
  } finally {
    await catalog.destroy();
  }
  if (map.buckets !== config.dataRouting.sharding.buckets) {
    throw new Error(
      `the stored shard map has ${map.buckets} buckets but TENK_SHARD_BUCKETS is ${config.dataRouting.sharding.buckets}; buckets are fixed for the life of the data: set it back`,
    );
  }
  for (const [index, database] of config.postgres.shardDatabases.entries()) {
    const shard = createShardDataSource(config, index, [], 'migrate');
    await shard.initialize();
    try {
      const [{ count }] = (await shard.query('SELECT count(*)::int AS count FROM shard_buckets')) as Array<{ count: number }>;
      const buckets = map.bucketsOf(database);
      if (count === 0 && buckets.length > 0) {
        await shard.query(`INSERT INTO shard_buckets (bucket, state, map_version) SELECT unnest($1::smallint[]), 'owned', $2`, [
          buckets,
          map.version,
        ]);
        onProgress(`${database}: owns buckets ${map.describe(database)} (map version ${map.version})`);
      }
    } finally {
      await shard.destroy();
    }
  }
  return map;
}
