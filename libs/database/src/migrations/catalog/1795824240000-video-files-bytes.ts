import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a video's derived files take in storage (renditions, HLS segments, thumbnail), so a
 * customer's storage quota counts every byte kept for them. Rows made before it get what was
 * recorded of their files: the renditions' sizes.
 */
export class VideoFilesBytes1795824240000 implements MigrationInterface {
  name = 'VideoFilesBytes1795824240000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE videos ADD COLUMN files_bytes bigint NOT NULL DEFAULT 0 CHECK (files_bytes >= 0)`);
    await queryRunner.query(
      `UPDATE videos SET files_bytes = (SELECT COALESCE(SUM((rendition->>'bytes')::bigint), 0) FROM jsonb_array_elements(renditions) AS rendition) WHERE renditions <> '[]'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE videos DROP COLUMN files_bytes`);
  }
}
