import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Uploaded videos and their processing state (libs/media). */
export class Videos1795824060000 implements MigrationInterface {
  name = 'Videos1795824060000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE videos (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL,
        state text NOT NULL CHECK (state IN ('queued', 'processing', 'ready', 'failed')),
        progress smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
        original_name text,
        source_key text NOT NULL,
        source_bytes bigint NOT NULL CHECK (source_bytes > 0),
        format_name text NOT NULL,
        video_codec text NOT NULL,
        duration_ms integer NOT NULL CHECK (duration_ms > 0),
        width integer NOT NULL,
        height integer NOT NULL,
        has_audio boolean NOT NULL,
        renditions jsonb NOT NULL DEFAULT '[]',
        thumbnail_key text,
        hls_key text,
        processing_mode text NOT NULL CHECK (processing_mode IN ('queued', 'in-request')),
        attempts integer NOT NULL DEFAULT 0,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        ready_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX videos_owner_created ON videos (owner_id, created_at DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE videos`);
  }
}
