import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Counter } from 'prom-client';
import { MetricsService, inSpan, SpanKind } from '@tenk/observability';
import { MailTransport, type SentReceipt } from './mail-transport';
import { SentMailLedger } from './sent-mail-ledger';
import type { RenderedMail } from './templates/mail-template';

export type SendOutcome = 'sent' | 'already-sent';

/** Another worker holds the claim: a retry (with backoff) will find it sent or free. */
export class MailInProgressError extends Error {
  constructor(mailKey: string) {
    super(`mail ${mailKey} is being sent by another worker right now`);
    this.name = 'MailInProgressError';
  }
}

/** Sends a rendered mail at most once per key: ledger claim, SMTP, ledger mark. */
@Injectable()
export class MailSender {
  readonly #mails: Counter<'template' | 'outcome'>;

  constructor(
    private readonly ledger: SentMailLedger,
    private readonly transport: MailTransport,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.logger.setContext('mail-sender');
    this.#mails = metrics.counter('tenk_mail_total', 'Mail by template and outcome: sent, duplicate (already sent: skipped), failed', [
      'template',
      'outcome',
    ]);
  }

  async sendOnce(mailKey: string, template: string, to: string, mail: RenderedMail): Promise<SendOutcome> {
    const messageId = `<${mailKey.replace(/[^A-Za-z0-9.-]/g, '.')}@tenk.mail>`;
    const claim = await this.ledger.claim(mailKey, template, to, messageId);
    if (claim.kind === 'already-sent') {
      this.#mails.inc({ template, outcome: 'duplicate' });
      this.logger.info({ mailKey, template, sentAt: claim.sentAt }, 'mail already sent: not sending it again');
      return 'already-sent';
    }
    if (claim.kind === 'in-progress') throw new MailInProgressError(mailKey);
    let receipt: SentReceipt;
    try {
      receipt = await inSpan(
        'smtp send',
        { kind: SpanKind.CLIENT, attributes: { 'tenk.mail.template': template, 'tenk.mail.key': mailKey } },
        () => this.transport.send({ to, messageId, ...mail }),
      );
    } catch (error) {
      // The server did not take it: free the claim so the retry sends it.
      this.#mails.inc({ template, outcome: 'failed' });
      await this.ledger.release(mailKey);
      throw error;
    }
    // Sent. Should recording it fail, the claim stays and blocks a resend until it goes stale.
    await this.ledger.markSent(mailKey);
    this.#mails.inc({ template, outcome: 'sent' });
    this.logger.info({ mailKey, template, messageId: receipt.messageId, response: receipt.response }, 'mail sent');
    return 'sent';
  }
}
