import type { PinoLogger } from 'nestjs-pino';
import { loadConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { MetricsService } from '@tenk/observability';
import { everyJobOf, JobRunner } from './job-runner';
import type { Queues } from './queues';

describe('everyJobOf', () => {
  const logger = { setContext: () => undefined } as unknown as PinoLogger;

  it('gives @Process every job name and the queue concurrency from the configuration JobRunner was made with', () => {
    const options = everyJobOf(QUEUES.mail); // read later, as @nestjs/bull does at module init
    new JobRunner({} as Queues, logger, new MetricsService(), loadConfig({ TENK_MAIL_CONCURRENCY: '7', TENK_VIDEO_CONCURRENCY: '2' }));
    expect(options).toMatchObject({ name: '*', concurrency: 7 });
    expect(everyJobOf(QUEUES.video).concurrency).toBe(2);
    expect(everyJobOf(QUEUES.report).concurrency).toBe(1);
  });
});
