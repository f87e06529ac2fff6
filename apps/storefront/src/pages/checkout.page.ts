import type { OrderView } from '@tenk/contracts/api';
import { isApiError, post, type ApiError } from '../api';
import { cartFingerprint, cartTotal, EMPTY_CART, orderBody } from '../cart';
import { cart, saveCart } from '../cart-store';
import { h } from '../dom';
import { checkoutKey, forgetCheckoutKey } from '../idempotency';
import { formatMoney } from '../money';
import type { Page } from '../page';
import { href } from '../router';
import { errorBox, notice } from '../ui';

/**
 * `#/checkout`: places the order. The button is disabled while the request is out, and the
 * request carries an Idempotency-Key kept per cart, so a double click, a retry after a
 * timeout or a reload still makes exactly one order.
 */
export const checkoutPage: Page = ({ user, navigate, setTitle }) => {
  setTitle('Checkout');
  const current = cart.value;
  if (current.lines.length === 0)
    return h(
      'section',
      null,
      h('h1', null, 'Checkout'),
      notice(h('span', null, 'Your cart is empty. ', h('a', { href: href('/') }, 'Back to the shop'), '.')),
    );
  const total = cartTotal(current);
  const status = h('div', { 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'primary' }, `Place order · ${formatMoney(total.cents, total.currency)}`);
  let pending = false;

  const placeOrder = async () => {
    if (pending) return;
    pending = true;
    button.disabled = true;
    button.textContent = 'Placing your order…';
    status.replaceChildren();
    const key = checkoutKey(sessionStorage, cartFingerprint(current));
    try {
      const order = await post<OrderView>('/orders', orderBody(current), { headers: { 'Idempotency-Key': key } });
      forgetCheckoutKey(sessionStorage);
      saveCart(EMPTY_CART);
      navigate(`/orders/${order.id}`, { placed: 1 });
      return;
    } catch (error) {
      if (isApiError(error, 401)) return navigate('/signin', { next: '/checkout' });
      // The key is kept for every other answer: sending it again is always safe (a timeout or
      // a 503 may hide an order that was made; a 409 may mean it is still being made). Only a
      // 422 says the key belongs to another order; a changed cart gets a new key by itself.
      if (isApiError(error, 422)) forgetCheckoutKey(sessionStorage);
      status.replaceChildren(isApiError(error, 503) ? notPlaced(error) : errorBox(error));
    }
    pending = false;
    button.disabled = false;
    button.textContent = `Place order · ${formatMoney(total.cents, total.currency)}`;
  };

  return h(
    'section',
    { class: 'checkout' },
    h('h1', null, 'Checkout'),
    h('p', null, `Signed in as ${user?.name ?? ''} (${user?.email ?? ''}).`),
    h(
      'ul',
      { class: 'summary' },
      current.lines.map((line) =>
        h(
          'li',
          null,
          h('span', null, `${line.quantity} × ${line.name}`),
          h('span', { class: 'num' }, formatMoney(line.priceCents * line.quantity, line.currency)),
        ),
      ),
    ),
    h(
      'form',
      {
        onsubmit: (event: Event) => {
          event.preventDefault();
          void placeOrder();
        },
      },
      button,
    ),
    h('p', { class: 'muted' }, 'Payment is taken by the shop’s test provider: no real money moves.'),
    status,
  );
};

/**
 * A 503 at checkout (the shop at capacity, an instance shedding load, payments unavailable):
 * the order was not made and nothing was charged. Said plainly, with when to try again; the
 * cart and the idempotency key are kept, so pressing the button again cannot order twice.
 */
function notPlaced(error: ApiError): HTMLElement {
  const when = error.retryAfterSeconds === undefined ? 'in a moment' : `in ${error.retryAfterSeconds} s`;
  // The api says why (payments unavailable, ...); the balancer's own refusal is technical text.
  const said = error.problems[0] ?? '';
  const why =
    said === '' || said.startsWith('503 ') || said.startsWith('the shop had a problem')
      ? 'the shop is too busy to take it right now'
      : said.replace(/[.;]?\s*(retry|try again).*$/i, '');
  return h(
    'div',
    { class: 'notice notice-error', role: 'alert' },
    `Your order was not placed (${why}). Nothing was charged and your cart is kept: please press "Place order" again ${when}.`,
  );
}
