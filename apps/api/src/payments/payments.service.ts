import { Injectable } from '@nestjs/common';
import { isCircuitOpenError, ResilienceService } from '@tenk/resilience';
import { PaymentProviderClient } from './payment-provider.client';
import { isPaymentRequestError, PaymentUnavailableError } from './payment-errors';
import type { AuthorizePaymentRequest, PaymentAuthorization, PaymentSettlement } from './payment.types';

/** When the provider failed but its breaker is still closed: worth another try soon. */
const RETRY_SOON_SECONDS = 2;

/**
 * The payment provider as the order flow sees it: authorize, capture, void. Every call carries
 * an idempotency key, so a repeat (a retry, or the client's own second try) is answered with the
 * first result. A provider that fails, hangs or is cut off, or whose breaker is open, becomes a
 * PaymentUnavailableError with a retry-after; a request the provider refuses stays a
 * PaymentRequestError.
 */
@Injectable()
export class PaymentsService {
  constructor(
    private readonly provider: PaymentProviderClient,
    private readonly resilience: ResilienceService,
  ) {}

  async authorize(request: AuthorizePaymentRequest): Promise<PaymentAuthorization> {
    const { idempotencyKey, amountCents, currency, reference } = request;
    const body = await this.#call('/v1/authorizations', { amountCents, currency, reference }, idempotencyKey);
    const status = body.status;
    if (typeof body.id !== 'string' || (status !== 'authorized' && status !== 'declined')) {
      throw new PaymentUnavailableError('the payment provider answered an authorization without an id or status', RETRY_SOON_SECONDS);
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
    try {
      return await this.provider.post(path, body, idempotencyKey);
    } catch (error) {
      if (isPaymentRequestError(error)) throw error;
      if (isCircuitOpenError(error)) {
        throw new PaymentUnavailableError(`payments are paused: ${error.message}`, Math.max(1, Math.ceil(error.retryAfterMs / 1000)), {
          cause: error,
        });
      }
      const breaker = this.resilience.enabled ? this.resilience.breaker('payments') : undefined;
      const retryAfterSeconds = breaker?.state === 'open' ? Math.max(1, Math.ceil(breaker.retryAfterMs / 1000)) : RETRY_SOON_SECONDS;
      throw new PaymentUnavailableError(`the payment provider is unavailable: ${describe(error)}`, retryAfterSeconds, { cause: error });
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}
