import { OnModuleDestroy } from '@nestjs/common';
import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { ACCOUNT_EXISTS_MAIL_V1, MAIL_KEYS, ORDER_CONFIRMATION_MAIL_V1, QUEUES, WELCOME_MAIL_V1 } from '@tenk/contracts';
import { everyJobOf, jobHandler, jobHandlers, JobRunner, QueueProcessor, type JobHandlers } from '@tenk/messaging';
import { MailSender } from './mail-sender';
import { renderAccountExists } from './templates/account-exists.template';
import { renderOrderConfirmation } from './templates/order-confirmation.template';
import { renderWelcome } from './templates/welcome.template';

/**
 * Consumes the Bull `mail` queue, TENK_MAIL_CONCURRENCY at a time: welcome and account-exists
 * mails (enqueued by the api at sign-up) and order confirmations (enqueued by this service's
 * Kafka handler). Each job sends through the sent ledger, so a retried job, or a job added
 * twice, sends one mail. An unreachable SMTP server means retries with backoff
 * (TENK_MAIL_ATTEMPTS, TENK_MAIL_BACKOFF), then the dead-letter queue.
 */
@Processor(QUEUES.mail)
export class MailProcessor extends QueueProcessor implements OnModuleDestroy {
  readonly #handlers: JobHandlers;

  constructor(
    jobs: JobRunner,
    sender: MailSender,
    @InjectConfig() private readonly config: TenkConfig,
  ) {
    super(jobs, QUEUES.mail);
    const context = { shopUrl: config.services.publicUrl };
    this.#handlers = jobHandlers(
      jobHandler(WELCOME_MAIL_V1, async (job) => ({
        outcome: await sender.sendOnce(MAIL_KEYS.welcome(job.userId), 'welcome', job.email, renderWelcome(job, context)),
      })),
      jobHandler(ACCOUNT_EXISTS_MAIL_V1, async (job) => ({
        outcome: await sender.sendOnce(
          MAIL_KEYS.accountExists(job.userId, new Date(job.attemptedAt)),
          'account-exists',
          job.email,
          renderAccountExists(job, context),
        ),
      })),
      jobHandler(ORDER_CONFIRMATION_MAIL_V1, async ({ event }) => ({
        outcome: await sender.sendOnce(
          MAIL_KEYS.orderConfirmation(event.eventId),
          'order-confirmation',
          event.customerEmail,
          renderOrderConfirmation(event, context),
        ),
      })),
    );
  }

  @Process(everyJobOf(QUEUES.mail))
  process(job: Job): Promise<unknown> {
    return this.jobs.run(job, this.#handlers);
  }

  async onModuleDestroy(): Promise<void> {
    await this.jobs.drain(QUEUES.mail, Math.max(0, this.config.runtime.shutdownGraceMs - 1_000));
  }
}
