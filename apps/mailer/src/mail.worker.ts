import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { ACCOUNT_EXISTS_MAIL_V1, MAIL_KEYS, ORDER_CONFIRMATION_MAIL_V1, QUEUES, WELCOME_MAIL_V1 } from '@tenk/contracts';
import { jobHandler, JobWorkers, type RunningWorker } from '@tenk/messaging';
import { MailSender } from './mail-sender';
import { renderAccountExists } from './templates/account-exists.template';
import { renderOrderConfirmation } from './templates/order-confirmation.template';
import { renderWelcome } from './templates/welcome.template';

/**
 * Consumes the Bull `mail` queue: welcome mails (enqueued by the api at signup) and order
 * confirmations (enqueued by this service's Kafka consumer). Each job sends through the sent
 * ledger, so a retried job, or a job added twice, sends one mail. An unreachable SMTP server
 * means retries with backoff (TENK_MAIL_ATTEMPTS, TENK_MAIL_BACKOFF), then the dead-letter queue.
 */
@Injectable()
export class MailWorker implements OnModuleInit, OnModuleDestroy {
  #running: RunningWorker | undefined;

  constructor(
    private readonly workers: JobWorkers,
    private readonly sender: MailSender,
    @InjectConfig() private readonly config: TenkConfig,
  ) {}

  onModuleInit(): void {
    const context = { shopUrl: this.config.services.publicUrl };
    this.#running = this.workers.start(QUEUES.mail, {
      concurrency: this.config.messaging.mail.concurrency,
      handlers: [
        jobHandler(WELCOME_MAIL_V1, async (job) => ({
          outcome: await this.sender.sendOnce(MAIL_KEYS.welcome(job.userId), 'welcome', job.email, renderWelcome(job, context)),
        })),
        jobHandler(ACCOUNT_EXISTS_MAIL_V1, async (job) => ({
          outcome: await this.sender.sendOnce(MAIL_KEYS.accountExists(job.userId, new Date(job.attemptedAt)), 'account-exists', job.email, renderAccountExists(job, context)),
        })),
        jobHandler(ORDER_CONFIRMATION_MAIL_V1, async ({ event }) => ({
          outcome: await this.sender.sendOnce(MAIL_KEYS.orderConfirmation(event.eventId), 'order-confirmation', event.customerEmail, renderOrderConfirmation(event, context)),
        })),
      ],
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.#running?.stop(Math.max(0, this.config.runtime.shutdownGraceMs - 1_000));
  }
}
