/** A rendered mail: a subject and the same message as plain text and as HTML. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** What every template may use besides its own data. */
export interface MailContext {
  /** The shop's public URL (the balancer): links in mails point there. */
  shopUrl: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML: every value from users or events goes through it. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

/** Wraps a template's body in the shared HTML layout (inline styles: mail clients drop <style>). */
export function htmlLayout(title: string, body: string, context: MailContext): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>',
    escapeHtml(title),
    '</title></head>',
    '<body style="margin:0;padding:24px;background:#f4f4f5;font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#18181b">',
    '<div style="max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:32px">',
    '<p style="margin:0 0 24px;font-weight:700;font-size:20px">tenk shop</p>',
    body,
    `<p style="margin:32px 0 0;font-size:12px;color:#71717a">You get this mail because of your account at <a href="${escapeHtml(context.shopUrl)}/" style="color:#71717a">${escapeHtml(context.shopUrl)}</a>.</p>`,
    '</div></body></html>',
  ].join('');
}

/** A call to action: a link drawn as a button, the same in every mail. */
export function buttonLink(href: string, label: string): string {
  return `<p style="margin:0 0 24px"><a href="${escapeHtml(href)}" style="display:inline-block;background:#2563eb;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${escapeHtml(label)}</a></p>`;
}

/** 123456, EUR -> `€1,234.56` */
export function formatMoney(cents: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(cents / 100);
  } catch {
    // An unknown currency code: still show the amount, with the code.
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}
