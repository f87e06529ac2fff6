import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'undici';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { Bulkhead, CircuitBreaker, currentCallSignal, Retry, Timeout } from '@tenk/resilience';
import { isPaymentRequestError, PaymentProviderError, PaymentRequestError } from './payment-errors';

/**
 * The payment provider's HTTP API (payment-sim locally) over one keep-alive pool, behind the
 * `payments` policy: a bulkhead, retries with the same idempotency key, the breaker, and a
 * timeout per try that aborts the request. The provider refusing a request (4xx) is an answer:
 * it never trips the breaker and is never retried.
 */
@Injectable()
export class PaymentProviderClient implements OnModuleDestroy {
  readonly #pool: Pool;

  constructor(@InjectConfig() config: TenkConfig) {
    this.#pool = new Pool(config.services.paymentUrl, {
      connections: config.resilience.payments.bulkhead.limit || 32,
      keepAliveTimeout: 4_000,
      connect: { timeout: config.resilience.payments.timeoutMs },
    });
  }

  /** POSTs JSON and returns the JSON answer of a 2xx; throws PaymentRequestError or PaymentProviderError. */
  @Bulkhead('payments')
  @Retry('payments', { idempotencyKey: (_path: string, _body: unknown, idempotencyKey: string) => idempotencyKey })
  @CircuitBreaker('payments', { isFailure: (error) => !isPaymentRequestError(error) })
  @Timeout('payments')
  async post(path: string, body: unknown, idempotencyKey: string): Promise<Record<string, unknown>> {
    const response = await this.#pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body ?? {}),
      signal: currentCallSignal(),
    });
    const answer = parseObject(await response.body.text());
    const status = response.statusCode;
    if (status >= 200 && status < 300) return answer;
    const reason = typeof answer.error === 'string' ? answer.error : `HTTP ${status}`;
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      throw new PaymentRequestError(`the payment provider refused POST ${path} with ${status}: ${reason}`, status);
    }
    throw new PaymentProviderError(`the payment provider failed POST ${path} with ${status}: ${reason}`, status);
  }

  async onModuleDestroy(): Promise<void> {
    await this.#pool.destroy();
  }
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    return { text: text.slice(0, 200) };
  }
}
