import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { HealthRegistry } from '@tenk/observability';
import { CircuitBreaker, Timeout } from '@tenk/resilience';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Fixed per mail key, so a receiver can recognise a repeat as the same message. */
  messageId: string;
}

export interface SentReceipt {
  messageId: string;
  /** The SMTP server's last reply, e.g. `250 queued as ...`. */
  response: string;
}

/**
 * The one place mail leaves tenk: nodemailer over SMTP (the local sink by default, any SMTP
 * server by TENK_SMTP_*), pooled connections, bounded timeouts. `send()` is the seam every
 * mail goes through and nothing else talks to the server: the `smtp` circuit breaker and
 * timeout (libs/resilience) wrap it.
 */
@Injectable()
export class MailTransport implements OnModuleInit, OnModuleDestroy {
  readonly #transport: Transporter;
  readonly #from: string;

  constructor(
    @InjectConfig() config: TenkConfig,
    private readonly health: HealthRegistry,
  ) {
    const { smtp, from } = config.mail;
    this.#from = from;
    this.#transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
      pool: true,
      maxConnections: Math.max(1, config.messaging.mail.concurrency),
      connectionTimeout: 5_000,
      greetingTimeout: 5_000,
      socketTimeout: 20_000,
    });
  }

  onModuleInit(): void {
    // Not critical: without SMTP, mail jobs wait and retry; the mailer still takes them in.
    this.health.register({
      name: 'smtp',
      critical: false,
      check: async () => {
        await this.#transport.verify();
      },
    });
  }

  /**
   * Sends one mail; rejects when the server refuses it or cannot be reached. Behind the `smtp`
   * breaker: while SMTP is down, sends fail at once (CircuitOpenError) and the job waits for its
   * retry instead of holding a worker for a connection timeout.
   */
  @CircuitBreaker('smtp', { isFailure: isSmtpServerFailure })
  @Timeout('smtp')
  async send(mail: OutgoingMail): Promise<SentReceipt> {
    const info = (await this.#transport.sendMail({
      from: this.#from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: mail.messageId,
    })) as { messageId: string; response: string };
    return { messageId: info.messageId, response: info.response };
  }

  onModuleDestroy(): void {
    this.#transport.close();
  }
}

/**
 * A permanent refusal of this one mail (a 5xx reply such as "550 mailbox unavailable") means the
 * server is up and answering: not a reason to stop sending everyone's mail.
 */
function isSmtpServerFailure(error: unknown): boolean {
  const responseCode = (error as { responseCode?: unknown } | undefined)?.responseCode;
  return !(typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600);
}
