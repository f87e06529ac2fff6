import { randomUUID } from 'node:crypto';
import { eventually, newClientAddress } from '@tenk/testing';
import { paymentFaults, paymentSimAdminUrl } from '../support/control-planes';
import { breakerState } from '../support/breakers';
import { E2E_ENV } from '../support/e2e-env';

/**
 * The payments breaker in the running shop, driven by payment-sim's fault modes: a hanging
 * provider first costs orders their timeout, then the breaker opens and orders fail at once
 * with 503 + Retry-After without calling the provider; readiness and metrics show it; once the
 * provider answers again, half-open probes close it. Each api instance has its own breaker, so
 * the suite talks to each instance directly (the balancer would spread the calls).
 */
const APIS = [Number(E2E_ENV['TENK_API_PORT']), Number(E2E_ENV['TENK_API_PORT']) + 1].map((port) => `http://127.0.0.1:${port}`);

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function paymentCallsReceived(): Promise<number> {
  const stats = (await call(paymentSimAdminUrl('/admin/stats'))).body as { received: Record<string, number> };
  return Object.values(stats.received).reduce((sum, count) => sum + count, 0);
}

/** `tenk_breaker_state{breaker="payments"}` of one api instance: 0 closed, 1 open, 2 half-open (undefined before its first call). */
const paymentsBreaker = (api: string) => breakerState(api, 'payments');

/** How often the payments breaker of one api instance went to `state` so far. */
async function transitionsTo(api: string, state: string): Promise<number> {
  const text = await (await fetch(`${api}/metrics`)).text();
  return text
    .split('\n')
    .filter(
      (line) => line.startsWith('tenk_breaker_transitions_total{') && line.includes('breaker="payments"') && line.includes(`to="${state}"`),
    )
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('circuit breakers: the payment provider', () => {
  let cookie: string;
  let productId: string;

  const placeOrder = (api: string) =>
    call(`${api}/orders`, {
      method: 'POST',
      headers: { cookie, 'idempotency-key': `e2e-breakers-${randomUUID()}` },
      body: JSON.stringify({ lines: [{ productId, quantity: 1 }] }),
    });

  beforeAll(async () => {
    const signup = await fetch(`${APIS[0]}/users`, {
      method: 'POST',
      // An address of its own: sign-ups are limited per address for an hour, and 127.0.0.1 is
      // shared with every other suite and lab run on the machine.
      headers: { 'content-type': 'application/json', 'x-forwarded-for': newClientAddress() },
      body: JSON.stringify({
        email: `e2e-breakers-${randomUUID()}@example.com`,
        name: 'Breaker Tester',
        password: 'a long enough password',
      }),
    });
    expect(signup.status).toBe(201);
    cookie = signup.headers
      .getSetCookie()
      .find((line) => line.startsWith('tenk_session='))!
      .split(';')[0];
    const products = (await call(`${APIS[0]}/products?limit=1`)).body as { items: Array<{ id: string | number }> };
    productId = String(products.items[0].id);
    await paymentFaults('none');
  });

  afterAll(async () => {
    // Leave the shop as found: provider healthy and every payments breaker closed.
    await paymentFaults('none');
    for (const api of APIS) {
      await eventually(
        async () => (await placeOrder(api), (await paymentsBreaker(api)) === 0),
        `${api}: the payments breaker closes`,
        30_000,
      );
    }
  });

  it('places an order while the provider is healthy, with a breaker on each downstream of the order flow', async () => {
    for (const api of APIS) {
      expect((await placeOrder(api)).status).toBe(201);
      const metrics = await (await fetch(`${api}/metrics`)).text();
      expect(metrics).toMatch(/tenk_breaker_state\{breaker="payments"[^}]*\} 0/);
      // The outbox relay's publisher. A suite before this one may have stopped Kafka (the Kafka
      // drill): an instance whose relay found no rows since has not called the broker, and its
      // breaker stays open (or half-open) until it does; its own orders' rows make it call.
      await eventually(
        async () => (await placeOrder(api), (await breakerState(api, 'kafka')) === 0),
        `${api}: the kafka breaker is closed once the relay publishes`,
        60_000,
        1_000,
      );
      expect(metrics).toMatch(/tenk_breaker_state\{breaker="shard:[a-z0-9_]+"[^}]*\} 0/); // the customer's shard
    }
  });

  it('turns a hanging provider into timeouts, then fails fast with 503 + Retry-After without calling it, then closes after probes', async () => {
    await paymentFaults({ hang: true });
    for (const api of APIS) {
      // Each order costs its timeout until the breaker has seen enough failures to open.
      await eventually(
        async () => {
          const replies = await Promise.all(Array.from({ length: 6 }, () => placeOrder(api)));
          for (const reply of replies) expect(reply.status).toBe(503);
          return (await paymentsBreaker(api)) === 1;
        },
        `${api}: the payments breaker opens`,
        60_000,
      );
    }

    for (const api of APIS) {
      // Ten orders while open reach the provider not once. (Should an open time run out during
      // the burst, a half-open probe of either instance may reach it: then measure again.)
      const probes = async () => (await Promise.all(APIS.map((each) => transitionsTo(each, 'half-open')))).reduce((a, b) => a + b, 0);
      await eventually(
        async () => {
          const probesBefore = await probes();
          const before = await paymentCallsReceived();
          for (let i = 0; i < 10; i++) {
            const reply = await placeOrder(api);
            expect(reply.status).toBe(503);
            expect(Number(reply.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          }
          const reached = (await paymentCallsReceived()) - before;
          if ((await probes()) !== probesBefore) return false;
          expect(reached).toBe(0);
          return true;
        },
        `${api}: ten orders refused while the breaker stayed open`,
        60_000,
      );
      const ready = await call(`${api}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('degraded');
      expect(ready.body.degraded).toContain('circuit-breakers');
      const metrics = await (await fetch(`${api}/metrics`)).text();
      expect(metrics).toMatch(/tenk_breaker_rejections_total\{breaker="payments",state="open"[^}]*\} [1-9]/);
      expect(metrics).toMatch(/tenk_breaker_failures_total\{breaker="payments",kind="timeout"[^}]*\} [1-9]/);
    }

    await paymentFaults('none');
    for (const api of APIS) {
      await eventually(async () => (await placeOrder(api)).status === 201, `${api}: a half-open probe places an order`, 30_000);
      await eventually(
        async () => (await placeOrder(api), (await paymentsBreaker(api)) === 0),
        `${api}: the probes close the breaker`,
        30_000,
      );
      const ready = await call(`${api}/health/ready`);
      expect(ready.body.degraded ?? []).not.toContain('circuit-breakers');
    }
  });
});
