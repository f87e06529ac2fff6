import type { WelcomeMailJobV1 } from '@tenk/contracts';
import { buttonLink, escapeHtml, htmlLayout, type MailContext, type RenderedMail } from './mail-template';

/** Sent once per new account, right after signup. */
export function renderWelcome(job: WelcomeMailJobV1, context: MailContext): RenderedMail {
  const subject = `Welcome to tenk, ${job.name}`;
  const text = [
    `Hello ${job.name},`,
    '',
    'your tenk account is ready. Browse the shop, upload product videos, and follow your orders:',
    `${context.shopUrl}/`,
    '',
    `You signed up as ${job.email}. If that was not you, reply to this mail and we will close the account.`,
    '',
    '-- the tenk shop',
  ].join('\n');
  const html = htmlLayout(
    subject,
    [
      `<p style="margin:0 0 16px">Hello ${escapeHtml(job.name)},</p>`,
      '<p style="margin:0 0 16px">your tenk account is ready. Browse the shop, upload product videos, and follow your orders.</p>',
      buttonLink(`${context.shopUrl}/`, 'Open the shop'),
      `<p style="margin:0;font-size:14px;color:#52525b">You signed up as ${escapeHtml(job.email)}. If that was not you, reply to this mail and we will close the account.</p>`,
    ].join(''),
    context,
  );
  return { subject, text, html };
}
