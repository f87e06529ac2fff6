import { Injectable } from '@nestjs/common';
import { PaymentProviderClient, type ProviderResponse } from './payment-provider.client';
import { PaymentRequestError, PaymentUnavailableError } from './payment-errors';
import type { AuthorizePaymentRequest, PaymentAuthorization, PaymentSettlement } from './payment.types';

const CALL_TIMEOUT_MS = 2_000;
const RETRY_AFTER_SECONDS = 5;

/**
 * The payment provider as the order flow sees it: authorize, capture, void. Every call carries
 * an idempotency key, so a repeat (a retry, or the client's own second try) is answered with the
 * first result. A provider that fails, hangs or is cut off becomes a PaymentUnavailableError;
 * a request the provider refuses becomes a PaymentRequestError.
 */
@Injectable()
export class PaymentsService {
  constructor(private readonly provider: PaymentProviderClient) {}

  async authorize(request: AuthorizePaymentRequest): Promise<PaymentAuthorization> {
    const { idempotencyKey, amountCents, currency, reference } = request;
    const body = await this.#call('/v1/authorizations', { amountCents, currency, reference }, idempotencyKey);
    const status = body.status;
    if (typeof body.id !== 'string' || (status !== 'authorized' && status !== 'declined')) {
      throw new PaymentUnavailableError('the payment provider answered an authorization without an id or status', RETRY_AFTER_SECONDS);
    }
    return {
      authorizationId: body.id,
      status,
      ...(typeof body.declineReason === 'string' ? { declineReason: body.declineReason } : {}),
    };
  }

  capture(authorizationId: string, idempotencyKey: string): Promise<PaymentSettlement> {
    return this.#settle(authorizationId, 'capture', idempotencyKey);
  }

  void(authorizationId: string, idempotencyKey: string): Promise<PaymentSettlement> {
    return this.#settle(authorizationId, 'void', idempotencyKey);
  }

  async #settle(authorizationId: string, action: 'capture' | 'void', idempotencyKey: string): Promise<PaymentSettlement> {
    await this.#call(`/v1/authorizations/${encodeURIComponent(authorizationId)}/${action}`, {}, idempotencyKey);
    return { authorizationId, status: action === 'capture' ? 'captured' : 'voided' };
  }

  async #call(path: string, body: unknown, idempotencyKey: string): Promise<Record<string, unknown>> {
    let response: ProviderResponse;
    try {
      response = await this.provider.post(path, body, idempotencyKey, AbortSignal.timeout(CALL_TIMEOUT_MS));
    } catch (error) {
      throw new PaymentUnavailableError(`the payment provider did not answer: ${describe(error)}`, RETRY_AFTER_SECONDS, { cause: error });
    }
    return interpret(path, response);
  }
}

/** 2xx: the answer; 4xx: our request was refused; anything else: the provider is unwell. */
export function interpret(path: string, response: ProviderResponse): Record<string, unknown> {
  const { status, body } = response;
  if (status >= 200 && status < 300) return body;
  const reason = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
    throw new PaymentRequestError(`the payment provider refused POST ${path}: ${reason}`, status);
  }
  throw new PaymentUnavailableError(`the payment provider failed POST ${path}: ${reason}`, RETRY_AFTER_SECONDS);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}
