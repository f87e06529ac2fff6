import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The versioned shard map: bucket -> shard database, one row per version, never updated in
 * place. Every api instance routes with the newest row; `npm run shards -- rebalance` adds one.
 * `npm run migrate` writes version 1 from the configuration (TENK_SHARD_MAP / the default split).
 */
export class ShardMap1795824000002 implements MigrationInterface {
  name = 'ShardMap1795824000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE shard_map (
        version integer PRIMARY KEY CHECK (version >= 1),
        owners text[] NOT NULL CHECK (cardinality(owners) >= 1),
        reason text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE shard_map');
  }
}
