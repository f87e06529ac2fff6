import type { OrderPlacedV1 } from '@tenk/contracts';
import { escapeHtml, formatMoney, htmlLayout, type MailContext, type RenderedMail } from './mail-template';

/** Sent once per OrderPlaced event. */
export function renderOrderConfirmation(event: OrderPlacedV1, context: MailContext): RenderedMail {
  const subject = `Your tenk order ${event.orderId} is confirmed`;
  const orderUrl = `${context.shopUrl}/#/orders/${encodeURIComponent(event.orderId)}`;
  const placed = new Date(event.occurredAt).toUTCString();
  const lines = event.lines.map((line) => ({
    ...line,
    total: formatMoney(line.quantity * line.unitPriceCents, event.currency),
    unit: formatMoney(line.unitPriceCents, event.currency),
  }));
  const total = formatMoney(event.totalCents, event.currency);
  const text = [
    'Thank you for your order.',
    '',
    `Order ${event.orderId}, placed ${placed}`,
    '',
    ...lines.map((line) => `  ${line.quantity} x ${line.name} (${line.sku}) at ${line.unit}: ${line.total}`),
    '',
    `Total: ${total}`,
    '',
    `Follow it here: ${orderUrl}`,
    '',
    '-- the tenk shop',
  ].join('\n');
  const rows = lines
    .map(
      (line) =>
        `<tr><td style="padding:6px 0">${line.quantity} &times; ${escapeHtml(line.name)} <span style="color:#71717a">(${escapeHtml(line.sku)})</span></td>` +
        `<td style="padding:6px 0;text-align:right">${escapeHtml(line.total)}</td></tr>`,
    )
    .join('');
  const html = htmlLayout(
    subject,
    [
      '<p style="margin:0 0 16px">Thank you for your order.</p>',
      `<p style="margin:0 0 16px;color:#52525b">Order <strong>${escapeHtml(event.orderId)}</strong>, placed ${escapeHtml(placed)}</p>`,
      `<table style="width:100%;border-collapse:collapse;margin:0 0 16px">${rows}`,
      `<tr><td style="padding:12px 0 0;border-top:1px solid #e4e4e7;font-weight:700">Total</td><td style="padding:12px 0 0;border-top:1px solid #e4e4e7;text-align:right;font-weight:700">${escapeHtml(total)}</td></tr></table>`,
      `<p style="margin:0"><a href="${escapeHtml(orderUrl)}" style="color:#2563eb">Follow your order</a></p>`,
    ].join(''),
    context,
  );
  return { subject, text, html };
}
