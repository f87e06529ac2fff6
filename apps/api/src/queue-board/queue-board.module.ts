import { Module } from '@nestjs/common';
import { BullBoardModule } from '@bull-board/nestjs';
import { FastifyAdapter } from '@bull-board/fastify';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { QUEUES } from '@tenk/contracts';
import { DEAD_LETTER_QUEUE } from '@tenk/messaging';
import { QueueBoardAccess } from './queue-board.access';

/** Where the board is served (admins only; see QueueBoardAccess). */
export const QUEUE_BOARD_ROUTE = '/admin/queues';

/**
 * Bull Board at /admin/queues: every queue's jobs, their progress, failures and stack traces,
 * with retry for failed jobs. The dead-letter queue is read-only: replaying a dead job is a
 * decision made after reading why it died.
 */
@Module({
  imports: [
    BullBoardModule.forRoot({
      route: QUEUE_BOARD_ROUTE,
      adapter: FastifyAdapter,
      middleware: QueueBoardAccess,
      boardOptions: { uiConfig: { boardTitle: 'tenk queues' } },
    }),
    BullBoardModule.forFeature(
      { name: QUEUES.video, adapter: BullAdapter, options: { description: 'Uploaded videos to transcode (apps/media-worker)' } },
      { name: QUEUES.mail, adapter: BullAdapter, options: { description: 'Mail to send (apps/mailer)' } },
      { name: QUEUES.report, adapter: BullAdapter, options: { description: 'Report files to build (apps/reports)' } },
      {
        name: DEAD_LETTER_QUEUE,
        adapter: BullAdapter,
        options: { readOnlyMode: true, description: 'Jobs that failed for good, with the reason' },
      },
    ),
  ],
})
export class QueueBoardModule {}
