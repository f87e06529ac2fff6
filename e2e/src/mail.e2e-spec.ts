import { MAIL_KEYS } from '@tenk/contracts';
import { eventually, uniqueName } from '@tenk/testing';
import { closeDb, groupOf, ledgerState, mailsTo, orderPlaced, OrdersTopic, Session, SINK } from './queues-support';

/**
 * Mail from the running shop into the SMTP sink: the welcome mail queued at signup, and an
 * order confirmation per OrderPlaced event on `orders.events` (published here as the orders
 * outbox publishes it). "Exactly one" is counted in the sink once every delivery was consumed
 * and the mailer's ledger says the mail went out.
 */
describe('mail', () => {
  let orders: OrdersTopic;

  beforeAll(async () => {
    orders = await new OrdersTopic().connect();
    await orders.groupReady(groupOf('mailer'));
  });
  afterAll(async () => {
    await orders.close();
    await closeDb();
  });

  it('sends exactly one welcome mail after signup, with text and HTML parts', async () => {
    const customer = await Session.customer('welcome');
    await eventually(
      async () => (await ledgerState(MAIL_KEYS.welcome(customer.user.id))) === 'sent',
      'the welcome mail was not sent',
      60_000,
      250,
    );
    const mails = await mailsTo(customer.user.email);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe(`Welcome to tenk, ${customer.user.name}`);
    const mail = (await (await fetch(`${SINK}/messages/${mails[0].id}`)).json()) as { text: string; html: string };
    expect(mail.text).toContain(`Hello ${customer.user.name},`);
    expect(mail.html).toContain(`Hello ${customer.user.name},`);
  });

  it('sends one order confirmation for an OrderPlaced event delivered twice', async () => {
    const email = `${uniqueName('buyer')}@example.test`;
    const event = orderPlaced({ id: uniqueName('customer'), email }, new Date().toISOString(), [
      { productId: '7', sku: 'TEA-7', name: 'Green tea', quantity: 3, unitPriceCents: 450 },
    ]);
    await orders.publish(event, event);
    await orders.consumedBy(groupOf('mailer'));
    await eventually(
      async () => (await ledgerState(MAIL_KEYS.orderConfirmation(event.eventId))) === 'sent',
      'the confirmation was not sent',
      60_000,
      250,
    );
    const mails = await mailsTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe(`Your tenk order ${event.orderId} is confirmed`);
    const mail = (await (await fetch(`${SINK}/messages/${mails[0].id}`)).json()) as { text: string };
    expect(mail.text).toContain('3 x Green tea (TEA-7) at €4.50: €13.50');
  });
});
