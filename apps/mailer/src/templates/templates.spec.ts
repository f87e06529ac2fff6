import type { OrderPlacedV1 } from '@tenk/contracts';
import { renderAccountExists } from './account-exists.template';
import { escapeHtml, formatMoney } from './mail-template';
import { renderOrderConfirmation } from './order-confirmation.template';
import { renderWelcome } from './welcome.template';

const context = { shopUrl: 'https://shop.example' };

describe('mail templates', () => {
  it('welcome: a subject, a text part and an HTML part saying the same', () => {
    const mail = renderWelcome({ userId: 'u1', email: 'ada@example.com', name: 'Ada' }, context);
    expect(mail.subject).toBe('Welcome to tenk, Ada');
    expect(mail.text).toContain('Hello Ada,');
    expect(mail.text).toContain('https://shop.example/');
    expect(mail.html).toContain('Hello Ada,');
    expect(mail.html).toContain('href="https://shop.example/"');
  });

  it('account exists: tells the owner that a sign-up with their email was tried, and where to sign in', () => {
    const mail = renderAccountExists(
      { userId: 'u1', email: 'ada@example.com', name: 'Ada <3', attemptedAt: '2026-11-28T10:15:42.000Z' },
      context,
    );
    expect(mail.subject).toBe('Someone tried to sign up with your email at tenk');
    expect(mail.text).toContain('Hello Ada <3,');
    expect(mail.text).toContain('a new tenk account for ada@example.com at 2026-11-28 10:15 UTC');
    expect(mail.text).toContain('no new account was made');
    expect(mail.text).toContain('https://shop.example/#/signin');
    expect(mail.html).toContain('Hello Ada &lt;3,');
    expect(mail.html).toContain('href="https://shop.example/#/signin"');
  });

  it('escapes every value in the HTML part', () => {
    const mail = renderWelcome({ userId: 'u1', email: 'x@example.com', name: '<script>alert(1)</script>' }, context);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });

  it('order confirmation: lines, total and a link to the order', () => {
    const event: OrderPlacedV1 = {
      type: 'OrderPlaced',
      version: 1,
      eventId: 'e1',
      occurredAt: '2026-11-28T10:00:00.000Z',
      orderId: 'ord-42',
      customerId: 'c1',
      customerEmail: 'ada@example.com',
      currency: 'EUR',
      totalCents: 3297,
      lines: [
        { productId: '1', sku: 'MUG-1', name: 'Mug & saucer', quantity: 2, unitPriceCents: 1299 },
        { productId: '2', sku: 'TEA-9', name: 'Tea', quantity: 1, unitPriceCents: 699 },
      ],
    };
    const mail = renderOrderConfirmation(event, context);
    expect(mail.subject).toBe('Your tenk order ord-42 is confirmed');
    expect(mail.text).toContain('2 x Mug & saucer (MUG-1) at €12.99: €25.98');
    expect(mail.text).toContain('Total: €32.97');
    expect(mail.text).toContain('https://shop.example/#/orders/ord-42');
    expect(mail.html).toContain('Mug &amp; saucer');
    expect(mail.html).toContain('€32.97');
  });

  it('formats money in the event currency, and survives an unknown code', () => {
    expect(formatMoney(123456, 'USD')).toBe('$1,234.56');
    expect(formatMoney(500, 'XXQ')).toBe('XXQ\u00a05.00');
    expect(formatMoney(500, 'EURO')).toBe('5.00 EURO');
  });
});
