import { parseOrderPlacedV1, type OrderPlacedV1 } from '../events/order-placed';
import { QUEUES } from '../queues';
import { expectObject, expectString } from '../validation';
import { jobContract } from './job-contract';

/** The welcome mail after signup (apps/mailer). Job id and sent-ledger key: `welcome:<userId>`. */
export interface WelcomeMailJobV1 {
  userId: string;
  email: string;
  name: string;
}

export const WELCOME_MAIL_V1 = jobContract<WelcomeMailJobV1>(QUEUES.mail, 'welcome', 1, (input) => {
  const job = expectObject(input, 'WelcomeMailJobV1');
  return {
    userId: expectString(job['userId'], 'WelcomeMailJobV1.userId'),
    email: expectString(job['email'], 'WelcomeMailJobV1.email'),
    name: expectString(job['name'], 'WelcomeMailJobV1.name'),
  };
});

/**
 * The order confirmation for one OrderPlaced event, handed from the mailer's Kafka consumer to
 * Bull so sending (slow, retried) never holds the consumer. Job id and sent-ledger key:
 * `order-confirmation:<eventId>`.
 */
export interface OrderConfirmationMailJobV1 {
  event: OrderPlacedV1;
}

export const ORDER_CONFIRMATION_MAIL_V1 = jobContract<OrderConfirmationMailJobV1>(QUEUES.mail, 'order-confirmation', 1, (input) => {
  const job = expectObject(input, 'OrderConfirmationMailJobV1');
  return { event: parseOrderPlacedV1(job['event']) };
});

/** The dedupe key of a mail: the Bull job id and the sent ledger's primary key. */
export const MAIL_KEYS = {
  welcome: (userId: string) => `welcome:${userId}`,
  orderConfirmation: (eventId: string) => `order-confirmation:${eventId}`,
} as const;
