/**
 * Drill (issue 13): no order event is skipped, ever. The mailer's consumer group is made new
 * (the mailer stopped, its group deleted, started again: it joins once and has committed
 * nothing), the mailer stops, one OrderPlaced goes to every partition of orders.events, and the
 * mailer starts: every event gets exactly one confirmation mail. Before a group pinned its start
 * at its first join, the new group restarted at each partition's new end and sent none.
 */
import { eventually, uniqueName } from '@tenk/testing';
import { closeDb, groupOf, mailsTo, orderPlaced, OrdersTopic } from '../queues-support';
import { control, processState, sleep } from './drill-support';

jest.setTimeout(300_000);

describe('drill: the mailer away while orders are placed, on a new consumer group', () => {
  let orders: OrdersTopic;

  beforeAll(async () => {
    orders = await new OrdersTopic().connect();
  });

  afterAll(async () => {
    if ((await processState('mailer')) !== 'ready') await control('mailer', 'start');
    await orders.close();
    await closeDb();
  });

  it('sends one confirmation for every event published to every partition while it was stopped', async () => {
    const group = groupOf('mailer');
    await control('mailer', 'stop');
    await orders.deleteGroup(group);
    await control('mailer', 'start');
    await orders.groupReady(group);
    // The start is pinned as the member joins; give it a moment before the mailer goes away again.
    await sleep(2_000);
    await control('mailer', 'stop');

    const events = (await orders.partitions()).map((partition) => {
      const event = orderPlaced({ id: uniqueName('customer'), email: `${uniqueName('away')}@example.test` }, new Date().toISOString(), [
        { productId: '7', sku: 'TEA-7', name: 'Green tea', quantity: 1, unitPriceCents: 450 },
      ]);
      return { partition, event };
    });
    for (const { partition, event } of events) await orders.publishTo(partition, event);

    await control('mailer', 'start');
    await orders.consumedBy(group, 60_000); // fails here when the group skipped them
    for (const { event } of events) {
      await eventually(
        async () => (await mailsTo(event.customerEmail)).length > 0,
        `no confirmation for the event on its partition (order ${event.orderId}): the mailer skipped it`,
        60_000,
        500,
      );
    }
    await sleep(3_000); // a second copy would have arrived by now
    for (const { event } of events) {
      const mails = await mailsTo(event.customerEmail);
      expect(mails.map((mail) => mail.subject)).toEqual([`Your tenk order ${event.orderId} is confirmed`]);
    }
  });
});
