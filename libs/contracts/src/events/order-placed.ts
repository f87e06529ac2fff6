import { ContractError, expectArray, expectInteger, expectObject, expectString, expectTimestamp } from '../validation';

export interface OrderLineV1 {
  productId: string;
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

/**
 * Published to `orders.events` (key: orderId) once an order is committed on its shard, by
 * the outbox relay. `eventId` is unique per event: consumers drop duplicates by it.
 */
export interface OrderPlacedV1 {
  type: 'OrderPlaced';
  version: 1;
  eventId: string;
  occurredAt: string;
  orderId: string;
  customerId: string;
  customerEmail: string;
  currency: string;
  totalCents: number;
  lines: OrderLineV1[];
}

/** Checks an untrusted payload (e.g. a Kafka message) against OrderPlaced v1. */
export function parseOrderPlacedV1(input: unknown): OrderPlacedV1 {
  const event = expectObject(input, 'OrderPlaced');
  if (event['type'] !== 'OrderPlaced')
    throw new ContractError(`OrderPlaced.type: expected "OrderPlaced", got ${JSON.stringify(event['type'])}`);
  if (event['version'] !== 1) throw new ContractError(`OrderPlaced.version: expected 1, got ${JSON.stringify(event['version'])}`);
  return {
    type: 'OrderPlaced',
    version: 1,
    eventId: expectString(event['eventId'], 'OrderPlaced.eventId'),
    occurredAt: expectTimestamp(event['occurredAt'], 'OrderPlaced.occurredAt'),
    orderId: expectString(event['orderId'], 'OrderPlaced.orderId'),
    customerId: expectString(event['customerId'], 'OrderPlaced.customerId'),
    customerEmail: expectString(event['customerEmail'], 'OrderPlaced.customerEmail'),
    currency: expectString(event['currency'], 'OrderPlaced.currency'),
    totalCents: expectInteger(event['totalCents'], 'OrderPlaced.totalCents', 0),
    lines: expectArray(event['lines'], 'OrderPlaced.lines').map((raw, index) => {
      const line = expectObject(raw, `OrderPlaced.lines[${index}]`);
      return {
        productId: expectString(line['productId'], `OrderPlaced.lines[${index}].productId`),
        sku: expectString(line['sku'], `OrderPlaced.lines[${index}].sku`),
        name: expectString(line['name'], `OrderPlaced.lines[${index}].name`),
        quantity: expectInteger(line['quantity'], `OrderPlaced.lines[${index}].quantity`, 1),
        unitPriceCents: expectInteger(line['unitPriceCents'], `OrderPlaced.lines[${index}].unitPriceCents`, 0),
      };
    }),
  };
}
