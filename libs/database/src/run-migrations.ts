import type { TenkConfig } from '@tenk/config';
import { createCatalogDataSource, createShardDataSource } from './data-source.factory';

export interface MigrationReport {
  database: string;
  applied: string[];
}

/**
 * Runs pending migrations on the catalog database and on every shard, each in its own
 * transaction and tracked in that database's own `migrations` table, so a shard added later
 * catches up by itself. Returns what was applied where.
 */
export async function runAllMigrations(config: TenkConfig, onProgress: (line: string) => void = () => undefined): Promise<MigrationReport[]> {
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
  return reports;
}
