import { cartCount, cartTotal, setQuantity, type CartLine } from '../cart';
import { cart, saveCart } from '../cart-store';
import { h, replace } from '../dom';
import { formatMoney } from '../money';
import type { Page } from '../page';
import { href } from '../router';
import { notice } from '../ui';

/** `#/cart`: change quantities, remove lines, go to checkout. */
export const cartPage: Page = ({ user, signal, setTitle }) => {
  setTitle('Cart');
  const root = h('section', { class: 'cart' });
  const render = () => {
    const current = cart.value;
    if (current.lines.length === 0) {
      replace(
        root,
        h('h1', null, 'Your cart'),
        notice(h('span', null, 'Your cart is empty. ', h('a', { href: href('/') }, 'Find something in the shop'), '.')),
      );
      return;
    }
    const total = cartTotal(current);
    replace(
      root,
      h('h1', null, 'Your cart'),
      h(
        'table',
        { class: 'lines' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'Product'),
            h('th', { scope: 'col' }, 'Quantity'),
            h('th', { scope: 'col', class: 'num' }, 'Price'),
            h('th', null),
          ),
        ),
        h('tbody', null, current.lines.map(lineRow)),
        h(
          'tfoot',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'row', colspan: 2 }, `Total (${cartCount(current)} item${cartCount(current) === 1 ? '' : 's'})`),
            h('td', { class: 'num', 'data-testid': 'cart-total' }, formatMoney(total.cents, total.currency)),
            h('td'),
          ),
        ),
      ),
      h('p', { class: 'muted' }, 'Prices are confirmed when you place the order.'),
      h(
        'p',
        { class: 'actions' },
        user
          ? h('a', { class: 'button', href: href('/checkout') }, 'Checkout')
          : h('a', { class: 'button', href: href('/signin', { next: '/checkout' }) }, 'Sign in to check out'),
      ),
    );
  };
  const stop = cart.subscribe(render);
  signal.addEventListener('abort', stop, { once: true });
  render();
  return root;
};

function lineRow(line: CartLine): HTMLElement {
  const quantity = h('input', {
    type: 'number',
    min: 0,
    max: 99,
    value: line.quantity,
    inputmode: 'numeric',
    'aria-label': `Quantity of ${line.name}`,
    onchange: (event: Event) =>
      saveCart(setQuantity(cart.value, line.productId, Number.parseInt((event.target as HTMLInputElement).value, 10) || 0)),
  });
  return h(
    'tr',
    { 'data-product-id': line.productId },
    h('td', null, h('a', { href: href(`/products/${line.productId}`) }, line.name)),
    h('td', null, quantity),
    h('td', { class: 'num' }, formatMoney(line.priceCents * line.quantity, line.currency)),
    h(
      'td',
      null,
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => saveCart(setQuantity(cart.value, line.productId, 0)),
          'aria-label': `Remove ${line.name}`,
        },
        'Remove',
      ),
    ),
  );
}
