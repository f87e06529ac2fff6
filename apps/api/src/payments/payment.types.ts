export interface AuthorizePaymentRequest {
  /** The same key for every try of one payment: the provider answers a repeat with the first result. */
  idempotencyKey: string;
  amountCents: number;
  /** ISO 4217, e.g. EUR. */
  currency: string;
  /** Shown on the provider's side, e.g. the order id. */
  reference: string;
}

export interface PaymentAuthorization {
  authorizationId: string;
  status: 'authorized' | 'declined';
  declineReason?: string;
}

export interface PaymentSettlement {
  authorizationId: string;
  status: 'captured' | 'voided';
}
