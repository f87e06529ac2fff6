import { Injectable } from '@nestjs/common';
import { CatalogDatabase } from '@tenk/database';

/** A claim older than this belongs to a worker that died mid-send: another may take it over. */
export const STALE_CLAIM_MS = 2 * 60_000;

export type ClaimResult =
  /** Ours to send. */
  | { kind: 'claimed' }
  /** Sent before (a redelivered event, a retried job): send nothing. */
  | { kind: 'already-sent'; sentAt: Date }
  /** Another worker is sending it right now: try again later. */
  | { kind: 'in-progress' };

/**
 * The `sent_mail` table: what was sent, keyed by what caused it. A mail is claimed before
 * SMTP sees it and marked sent after the server accepted it, so two deliveries of one event
 * (even at the same moment, on two workers) send one mail. The one gap left: a worker that
 * dies after the server's 250 and before markSent; its claim goes stale and the mail is sent
 * again, with the same Message-ID.
 */
@Injectable()
export class SentMailLedger {
  constructor(private readonly db: CatalogDatabase) {}

  async claim(mailKey: string, template: string, recipient: string, messageId: string): Promise<ClaimResult> {
    const claimed = (await this.db.primary.query(
      `INSERT INTO sent_mail (mail_key, template, recipient, state, message_id) VALUES ($1, $2, $3, 'sending', $4)
       ON CONFLICT (mail_key) DO UPDATE SET attempts = sent_mail.attempts + 1, claimed_at = now()
         WHERE sent_mail.state = 'sending' AND sent_mail.claimed_at < now() - make_interval(secs => $5)
       RETURNING mail_key`,
      [mailKey, template, recipient, messageId, STALE_CLAIM_MS / 1000],
    )) as unknown[];
    if (claimed.length > 0) return { kind: 'claimed' };
    const [existing] = (await this.db.primary.query(`SELECT state, sent_at FROM sent_mail WHERE mail_key = $1`, [mailKey])) as Array<{
      state: string;
      sent_at: Date | null;
    }>;
    if (existing?.state === 'sent') return { kind: 'already-sent', sentAt: existing.sent_at ?? new Date(0) };
    if (!existing) return this.claim(mailKey, template, recipient, messageId); // released between our two statements
    return { kind: 'in-progress' };
  }

  async markSent(mailKey: string): Promise<void> {
    await this.db.primary.query(`UPDATE sent_mail SET state = 'sent', sent_at = now() WHERE mail_key = $1`, [mailKey]);
  }

  /** The send failed before the server accepted it: let the next attempt claim it again. */
  async release(mailKey: string): Promise<void> {
    await this.db.primary.query(`DELETE FROM sent_mail WHERE mail_key = $1 AND state = 'sending'`, [mailKey]);
  }
}
