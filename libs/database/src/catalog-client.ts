import { Client } from 'pg';
import type { TenkConfig } from '@tenk/config';

/**
 * A plain pg Client (not connected yet) on the catalog database on the primary, with the user,
 * password and TLS the data sources use: for admin work outside TypeORM (scratch databases,
 * the seed).
 */
export function catalogPrimaryClient(config: TenkConfig): Client {
  return new Client({
    host: config.postgres.primary.host,
    port: config.postgres.primary.port,
    user: config.postgres.user,
    password: config.postgres.password,
    ssl: config.postgres.ssl,
    database: config.postgres.catalogDatabase,
  });
}
