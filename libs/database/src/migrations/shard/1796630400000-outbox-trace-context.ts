import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C `traceparent` of the request that wrote an outbox row (null when tracing was off or
 * the trace not sampled): the relay publishes the row later, from its own loop, and continues
 * that trace from here, so one trace shows the order from the balancer to the mail.
 */
export class OutboxTraceContext1796630400000 implements MigrationInterface {
  name = 'OutboxTraceContext1796630400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE outbox ADD COLUMN IF NOT EXISTS trace_parent text');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE outbox DROP COLUMN trace_parent');
  }
}
