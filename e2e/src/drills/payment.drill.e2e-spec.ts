/**
 * Drill: the payment provider hangs. After a few timeouts the breaker opens and orders fail
 * fast with 503 + Retry-After (nothing half-made, the catalog unaffected); when the provider
 * recovers, half-open probes close the breaker and orders go through again.
 */
import { eventually } from '@tenk/testing';
import { paymentFaults } from '../../support/control-planes';
import { get } from './drill-support';
import { newCustomer, placeOrder } from './shop-client';

describe('drill: hang the payment provider', () => {
  afterAll(async () => {
    await paymentFaults('none');
  });

  it('opens the breaker, fails fast, keeps the catalog up, and recovers', async () => {
    const customer = await newCustomer('payment');
    expect((await placeOrder(customer)).status).toBe(201);

    await paymentFaults({ hang: true });
    // Timeouts first, then the breaker opens: an order is refused at once with Retry-After.
    const refused = await eventually(
      async () => {
        const placed = await placeOrder(customer);
        return placed.status === 503 && placed.retryAfter ? placed : undefined;
      },
      'orders never failed fast while the provider hung',
      60_000,
      200,
    );
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect((await get('/products?limit=5')).status).toBe(200);

    // Nothing half-made: the customer's orders are the one placed before the outage.
    const mine = await customer.request<{ items: unknown[] }>('GET', `/customers/${customer.user.id}/orders`);
    expect(mine.status).toBe(200);
    expect(mine.body.items).toHaveLength(1);

    await paymentFaults('none');
    await eventually(
      async () => (await placeOrder(customer)).status === 201,
      'orders never went through again after the provider recovered',
      60_000,
      500,
    );
  });
});
