import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The mailer's ledger: one row per mail, keyed by what caused it (`welcome:<userId>`,
 * `order-confirmation:<eventId>`), so a redelivered event or a retried job sends nothing twice.
 */
export class SentMail1795824120000 implements MigrationInterface {
  name = 'SentMail1795824120000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sent_mail (
        mail_key text PRIMARY KEY,
        template text NOT NULL,
        recipient text NOT NULL,
        state text NOT NULL CHECK (state IN ('sending', 'sent')),
        message_id text NOT NULL,
        attempts integer NOT NULL DEFAULT 1,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sent_mail`);
  }
}
