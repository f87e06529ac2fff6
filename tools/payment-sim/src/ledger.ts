import { createHash, randomUUID } from 'node:crypto';

export type AuthorizationStatus = 'authorized' | 'declined' | 'captured' | 'voided';

export interface Authorization {
  id: string;
  status: AuthorizationStatus;
  amountCents: number;
  currency: string;
  reference: string;
  declineReason?: string;
  createdAt: string;
}

export interface AuthorizeRequest {
  amountCents: number;
  currency: string;
  reference: string;
}

/** Amounts above this are declined, so the unhappy path can be exercised on purpose. */
export const DECLINE_ABOVE_CENTS = 1_000_000;

interface Remembered {
  fingerprint: string;
  authorizationId: string;
}

/**
 * The simulated provider's books: authorizations by id, and idempotency keys with a
 * fingerprint of the request they first came with (a PSP's contract: same key + same request
 * = same answer; same key + another request = an error).
 */
export class Ledger {
  readonly #authorizations = new Map<string, Authorization>();
  readonly #keys = new Map<string, Remembered>();

  authorize(key: string, request: AuthorizeRequest): { authorization: Authorization; replayed: boolean } | { conflict: string } {
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([request.amountCents, request.currency, request.reference]))
      .digest('hex');
    const remembered = this.#keys.get(key);
    if (remembered) {
      if (remembered.fingerprint !== fingerprint) return { conflict: `Idempotency-Key ${key} was first used with a different request` };
      const authorization = this.#authorizations.get(remembered.authorizationId);
      if (authorization) return { authorization, replayed: true };
    }
    const declined = request.amountCents > DECLINE_ABOVE_CENTS;
    const authorization: Authorization = {
      id: `auth_${randomUUID()}`,
      status: declined ? 'declined' : 'authorized',
      amountCents: request.amountCents,
      currency: request.currency,
      reference: request.reference,
      ...(declined ? { declineReason: 'amount over the card limit' } : {}),
      createdAt: new Date().toISOString(),
    };
    this.#authorizations.set(authorization.id, authorization);
    this.#keys.set(key, { fingerprint, authorizationId: authorization.id });
    return { authorization, replayed: false };
  }

  get(id: string): Authorization | undefined {
    return this.#authorizations.get(id);
  }

  /** authorized -> captured | voided; repeating the same transition is a no-op (idempotent). */
  transition(id: string, to: 'captured' | 'voided'): Authorization | { error: string; status: number } {
    const authorization = this.#authorizations.get(id);
    if (!authorization) return { error: `no authorization ${id}`, status: 404 };
    if (authorization.status === to) return authorization;
    if (authorization.status !== 'authorized')
      return { error: `authorization ${id} is ${authorization.status}; only an authorized payment can be ${to}`, status: 409 };
    authorization.status = to;
    return authorization;
  }

  get size(): number {
    return this.#authorizations.size;
  }
}
