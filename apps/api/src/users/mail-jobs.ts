import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { ACCOUNT_EXISTS_MAIL_V1, MAIL_KEYS, WELCOME_MAIL_V1 } from '@tenk/contracts';
import { JobProducer } from '@tenk/messaging';

/** The sign-up's `mail` jobs (their contracts: @tenk/contracts; the mailer consumes them). */
@Injectable()
export class MailJobs {
  constructor(
    private readonly jobs: JobProducer,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('mail-jobs');
  }

  /**
   * Queues the welcome mail for a new account (job id `welcome:<userId>`: one per account).
   * Never throws: the account exists either way, and a missing welcome mail is logged, not
   * turned into a failed signup.
   */
  async welcome(user: { id: string; email: string; name: string }): Promise<void> {
    try {
      await this.jobs.enqueue(
        WELCOME_MAIL_V1,
        { userId: user.id, email: user.email, name: user.name },
        { jobId: MAIL_KEYS.welcome(user.id) },
      );
    } catch (error) {
      this.logger.error({ err: error, userId: user.id }, 'could not queue the welcome mail');
    }
  }

  /**
   * Tells the owner of an account that someone tried to sign up with its email (job id
   * `account-exists:<userId>:<hour>`: one an hour, however many tries). Never throws, like
   * welcome(): the sign-up's answer must not depend on it.
   */
  async accountExists(user: { id: string; email: string; name: string }, at = new Date()): Promise<void> {
    try {
      await this.jobs.enqueue(
        ACCOUNT_EXISTS_MAIL_V1,
        { userId: user.id, email: user.email, name: user.name, attemptedAt: at.toISOString() },
        { jobId: MAIL_KEYS.accountExists(user.id, at) },
      );
    } catch (error) {
      this.logger.error({ err: error, userId: user.id }, 'could not queue the account-exists mail');
    }
  }
}
