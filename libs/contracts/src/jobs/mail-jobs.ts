import { parseOrderPlacedV1, type OrderPlacedV1 } from '../events/order-placed';
import { QUEUES } from '../queues';
import { expectObject, expectString, expectTimestamp } from '../validation';
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
 * Someone tried to sign up with the email of an existing account (apps/mailer tells its owner;
 * the sign-up itself answered as if it were new, so nobody learns which emails have accounts).
 * Job id and sent-ledger key: `account-exists:<userId>:<hour>`: at most one such mail an hour.
 */
export interface AccountExistsMailJobV1 {
  userId: string;
  email: string;
  name: string;
  /** When the sign-up was tried (ISO 8601). */
  attemptedAt: string;
}

export const ACCOUNT_EXISTS_MAIL_V1 = jobContract<AccountExistsMailJobV1>(QUEUES.mail, 'account-exists', 1, (input) => {
  const job = expectObject(input, 'AccountExistsMailJobV1');
  return {
    userId: expectString(job['userId'], 'AccountExistsMailJobV1.userId'),
    email: expectString(job['email'], 'AccountExistsMailJobV1.email'),
    name: expectString(job['name'], 'AccountExistsMailJobV1.name'),
    attemptedAt: expectTimestamp(job['attemptedAt'], 'AccountExistsMailJobV1.attemptedAt'),
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
  /** One a clock hour (UTC) per account, however many sign-ups are tried with its email. */
  accountExists: (userId: string, at: Date) => `account-exists:${userId}:${at.toISOString().slice(0, 13)}`,
  orderConfirmation: (eventId: string) => `order-confirmation:${eventId}`,
} as const;
