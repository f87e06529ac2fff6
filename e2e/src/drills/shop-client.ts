/**
 * The drills' view of the shop as its users see it: sign up, order, read the mail it sent.
 */
import { randomUUID } from 'node:crypto';
import { eventually, uniqueName } from '@tenk/testing';
import { mailsTo, Session } from '../queues-support';

export const DRILL_PASSWORD = 'drill password, long enough';

export async function newCustomer(label: string): Promise<Session> {
  const session = new Session();
  const email = `${uniqueName(label).replace(/_/g, '-')}@drills.test`;
  const signup = await session.request<{ id: string; email: string; name: string; role: string }>('POST', '/users', {
    json: { email, name: `Drill ${label}`, password: DRILL_PASSWORD },
  });
  if (signup.status !== 201) throw new Error(`sign-up failed: ${signup.status} ${signup.text}`);
  session.user = signup.body;
  return session;
}

export interface PlacedOrder {
  id: string;
  totalCents: number;
}

export async function placeOrder(
  session: Session,
  productId = '11',
  quantity = 1,
  key = randomUUID(),
): Promise<{ status: number; order?: PlacedOrder; retryAfter: string | null; text: string }> {
  const reply = await session.request<PlacedOrder>('POST', '/orders', {
    json: { lines: [{ productId, quantity }] },
    headers: { 'idempotency-key': key },
  });
  return {
    status: reply.status,
    order: reply.status === 201 ? reply.body : undefined,
    retryAfter: reply.headers.get('retry-after'),
    text: reply.text,
  };
}

/** Waits until the order's confirmation mail is in the sink; returns how many there are. */
export async function confirmationsFor(session: Session, orderId: string, timeoutMs = 90_000): Promise<number> {
  const subject = `Your tenk order ${orderId} is confirmed`;
  const mails = await eventually(
    async () => {
      const found = (await mailsTo(session.user.email)).filter((mail) => mail.subject === subject);
      return found.length > 0 ? found : undefined;
    },
    `no confirmation mail for order ${orderId}`,
    timeoutMs,
    500,
  );
  return mails.length;
}
