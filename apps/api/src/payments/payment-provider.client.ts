import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'undici';
import { InjectConfig, type TenkConfig } from '@tenk/config';

/** What the provider answered: a status and its JSON body. */
export interface ProviderResponse {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The payment provider's HTTP API (payment-sim locally) over one keep-alive pool. It only
 * moves bytes: what a status means, and the policies around the call, live in PaymentsService.
 */
@Injectable()
export class PaymentProviderClient implements OnModuleDestroy {
  readonly #pool: Pool;

  constructor(@InjectConfig() config: TenkConfig) {
    this.#pool = new Pool(config.services.paymentUrl, {
      connections: 32,
      keepAliveTimeout: 4_000,
      connect: { timeout: 2_000 },
    });
  }

  /** POSTs JSON; `signal` aborts the request (the timeout policy uses it). */
  async post(path: string, body: unknown, idempotencyKey: string, signal?: AbortSignal): Promise<ProviderResponse> {
    const response = await this.#pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body ?? {}),
      signal,
    });
    const text = await response.body.text();
    return { status: response.statusCode, body: parseObject(text) };
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
