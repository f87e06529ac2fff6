import type { Client } from 'pg';
import { loadConfig, type TenkConfig } from '@tenk/config';
import { catalogPrimaryClient } from './catalog-client';
import { runAllMigrations } from './run-migrations';

export interface ScratchDatabases {
  /** The configuration pointing at the scratch catalog and shards (everything else unchanged). */
  config: TenkConfig;
  catalog: string;
  shards: string[];
  /** Drops every scratch database (closing anyone's connections to them first). */
  drop(): Promise<void>;
}

export interface ScratchOptions {
  /** A unique prefix (e.g. from uniqueName()); databases are `<name>_catalog`, `<name>_s0`, ... */
  name: string;
  shards?: number;
  /** Run every migration (and seed the shard map) on them: default true. */
  migrate?: boolean;
  /** More variables for the scratch configuration (e.g. TENK_SHARD_BUCKETS). */
  env?: Record<string, string>;
}

/**
 * A private catalog database and shard databases on the shared PostgreSQL server, for tests and
 * lab runs that must not touch `shop` and `shard_*`. Being on the primary, they reach the
 * streaming replica too, with its real lag.
 */
export async function createScratchDatabases(base: TenkConfig, options: ScratchOptions): Promise<ScratchDatabases> {
  const name = options.name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const catalog = `${name}_catalog`;
  const shards = Array.from({ length: options.shards ?? 4 }, (_, index) => `${name}_s${index}`);
  await admin(base, async (client) => {
    for (const database of [catalog, ...shards]) await client.query(`CREATE DATABASE "${database}"`);
  });
  const config = loadConfig({ ...process.env, ...(options.env ?? {}), TENK_PG_DATABASE: catalog, TENK_SHARD_DATABASES: shards.join(',') });
  const drop = () =>
    admin(base, async (client) => {
      for (const database of [catalog, ...shards]) await dropForced(client, database);
    });
  if (options.migrate ?? true) {
    try {
      await runAllMigrations(config);
    } catch (error) {
      await drop();
      throw error;
    }
  }
  return { config, catalog, shards, drop };
}

/**
 * DROP ... WITH (FORCE) ends the database's sessions, but only those of roles this one may
 * signal: a session of another role (42501) is waited out, briefly, instead of failing the drop.
 */
async function dropForced(client: Client, database: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '42501' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function admin(config: TenkConfig, work: (client: Client) => Promise<void>): Promise<void> {
  const client = catalogPrimaryClient(config);
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
