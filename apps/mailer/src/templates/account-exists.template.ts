import type { AccountExistsMailJobV1 } from '@tenk/contracts';
import { buttonLink, escapeHtml, htmlLayout, type MailContext, type RenderedMail } from './mail-template';

/**
 * To the owner of an account, when someone tried to sign up with its email: the sign-up was
 * answered like any other (so it tells nobody the account exists); this mail tells the owner.
 */
export function renderAccountExists(job: AccountExistsMailJobV1, context: MailContext): RenderedMail {
  const subject = 'Someone tried to sign up with your email at tenk';
  const signIn = `${context.shopUrl}/#/signin`;
  const intro = `someone (you, perhaps) tried to create a new tenk account for ${job.email} at ${new Date(job.attemptedAt).toISOString().replace('T', ' ').slice(0, 16)} UTC. You have an account with that email already, so no new account was made and nothing in yours changed.`;
  const text = [
    `Hello ${job.name},`,
    '',
    intro,
    '',
    `To use your account, sign in: ${signIn}`,
    '',
    'If it was not you, you need not do anything.',
    '',
    '-- the tenk shop',
  ].join('\n');
  const html = htmlLayout(
    subject,
    [
      `<p style="margin:0 0 16px">Hello ${escapeHtml(job.name)},</p>`,
      `<p style="margin:0 0 16px">${escapeHtml(intro)}</p>`,
      buttonLink(signIn, 'Sign in'),
      '<p style="margin:0;font-size:14px;color:#52525b">If it was not you, you need not do anything.</p>',
    ].join(''),
    context,
  );
  return { subject, text, html };
}
