import { HttpException, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
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
    // No `middleware` here: bull-board's module would apply it as Nest middleware, and any Nest
    // middleware puts every request of the api through @fastify/middie's engine (about 8 µs of
    // a cached catalog GET, for a check the request hook below already makes on the board).
    BullBoardModule.forRoot({
      route: QUEUE_BOARD_ROUTE,
      adapter: FastifyAdapter,
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
  providers: [QueueBoardAccess],
})
export class QueueBoardModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly access: QueueBoardAccess,
  ) {}

  /**
   * The board's routes (page, API, assets) are the plugin's, below its route: Nest middleware
   * matches the route's own path only, so the admin rule runs as a request hook on every route
   * whose template is the board's. A refusal is answered here, as the api's error filter would:
   * the plugin's own error handler would make it a 500.
   */
  onModuleInit(): void {
    const board = QUEUE_BOARD_ROUTE.toLowerCase();
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', (request, reply, done) => {
      const route = request.routeOptions.url?.toLowerCase();
      if (route === undefined || (route !== board && !route.startsWith(`${board}/`))) return done();
      this.access.check(request.raw).then(
        () => done(),
        (error: unknown) => {
          if (!(error instanceof HttpException)) return done(error as Error);
          void reply.status(error.getStatus()).send(error.getResponse());
        },
      );
    });
  }
}
