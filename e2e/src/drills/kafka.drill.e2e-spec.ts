/**
 * Drill: Kafka stops while customers order. Orders are still accepted (the outbox keeps their
 * events in the shard's database); when Kafka returns every event goes out, none lost, and
 * each order gets exactly one confirmation mail.
 */
import { mailsTo } from '../queues-support';
import { infra, sleep } from './drill-support';
import { confirmationsFor, newCustomer, placeOrder } from './shop-client';

describe('drill: stop Kafka during orders', () => {
  afterAll(async () => {
    await infra('up', 'kafka');
  });

  it('accepts orders while Kafka is down and delivers every event, once, when it returns', async () => {
    const customers = await Promise.all([newCustomer('kafka-a'), newCustomer('kafka-b'), newCustomer('kafka-c')]);
    await infra('down', 'kafka');

    const orders: Array<{ customer: (typeof customers)[number]; id: string }> = [];
    for (const [index, customer] of customers.entries()) {
      for (let n = 0; n < 2; n++) {
        const placed = await placeOrder(customer, String(20 + index * 3 + n));
        expect(placed.status).toBe(201);
        orders.push({ customer, id: placed.order!.id });
      }
    }
    // Down for a while: the relay keeps trying, the events wait in the outbox.
    await sleep(3_000);
    for (const { customer, id } of orders)
      expect((await mailsTo(customer.user.email)).some((mail) => mail.subject.includes(id))).toBe(false);

    await infra('up', 'kafka');
    for (const { customer, id } of orders) expect(await confirmationsFor(customer, id, 120_000)).toBe(1);
    // And no second copy arrives a little later.
    await sleep(3_000);
    for (const { customer, id } of orders)
      expect((await mailsTo(customer.user.email)).filter((mail) => mail.subject.includes(id))).toHaveLength(1);
  });
});
