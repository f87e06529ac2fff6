import { isContractError } from '../validation';
import { parseOrderPlacedV1, type OrderPlacedV1 } from './order-placed';

const valid: OrderPlacedV1 = {
  type: 'OrderPlaced',
  version: 1,
  eventId: 'e1',
  occurredAt: '2026-11-28T00:00:00.000Z',
  orderId: 'o1',
  customerId: 'c1',
  customerEmail: 'a@b.c',
  currency: 'EUR',
  totalCents: 1200,
  lines: [{ productId: '1', sku: 'SKU-1', name: 'Mug', quantity: 2, unitPriceCents: 600 }],
};

describe('parseOrderPlacedV1', () => {
  it('accepts a valid event and drops unknown fields', () => {
    expect(parseOrderPlacedV1({ ...valid, extra: true })).toEqual(valid);
  });

  it.each([
    [{ ...valid, version: 2 }, 'OrderPlaced.version: expected 1'],
    [{ ...valid, eventId: '' }, 'OrderPlaced.eventId: expected a non-empty string'],
    [{ ...valid, occurredAt: 'yesterday' }, 'OrderPlaced.occurredAt: expected an ISO 8601 date-time'],
    [{ ...valid, occurredAt: '2026-02-30T00:00:00Z' }, 'OrderPlaced.occurredAt: expected an ISO 8601 date-time'],
    [{ ...valid, lines: [{ ...valid.lines[0], quantity: 0 }] }, 'OrderPlaced.lines[0].quantity: expected a whole number >= 1'],
    ['nope', 'OrderPlaced: expected an object'],
  ])('rejects %j naming the field', (input, message) => {
    let caught: unknown;
    try {
      parseOrderPlacedV1(input);
    } catch (error) {
      caught = error;
    }
    expect(isContractError(caught)).toBe(true);
    expect((caught as Error).message).toContain(message);
  });
});
