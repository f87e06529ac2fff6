import type { OrderPage, OrderView } from '@tenk/contracts/api';
import { get, isApiError, withQuery } from '../api';
import { h } from '../dom';
import { formatMoney } from '../money';
import type { Page } from '../page';
import { href } from '../router';
import { errorBox, formatDate, loading, notice } from '../ui';

const PAGE_SIZE = 10;

/** `#/orders`: the signed-in customer's orders, newest first, more on request. */
export const ordersPage: Page = async ({ user, signal, setTitle }) => {
  setTitle('My orders');
  const list = h('ul', { class: 'orders', 'data-testid': 'orders' });
  const more = h('div');
  const root = h('section', null, h('h1', null, 'My orders'), list, more);

  const loadPage = async (after: string | null) => {
    more.replaceChildren(loading());
    try {
      const page = await get<OrderPage>(
        withQuery(`/customers/${encodeURIComponent(user?.id ?? '')}/orders`, { limit: PAGE_SIZE, after }),
        signal,
      );
      list.append(...page.items.map(orderItem));
      more.replaceChildren();
      if (list.childElementCount === 0)
        more.replaceChildren(notice(h('span', null, 'No orders yet. ', h('a', { href: href('/') }, 'Find something in the shop'), '.')));
      else if (page.next)
        more.replaceChildren(
          h('button', { type: 'button', class: 'secondary', onclick: () => void loadPage(page.next) }, 'Show older orders'),
        );
    } catch (error) {
      if (signal.aborted) return;
      more.replaceChildren(errorBox(error));
    }
  };
  await loadPage(null);
  return root;
};

function orderItem(order: OrderView): HTMLElement {
  const items = order.lines.reduce((sum, line) => sum + line.quantity, 0);
  return h(
    'li',
    { 'data-order-id': order.id },
    h('a', { href: href(`/orders/${order.id}`) }, h('strong', null, `Order ${shortId(order.id)}`)),
    h('span', null, formatDate(order.createdAt)),
    h('span', null, `${items} item${items === 1 ? '' : 's'}`),
    h('span', { class: 'num' }, formatMoney(order.totalCents, order.currency)),
    statusBadge(order.status),
  );
}

/** `#/orders/:id`: one order (the api answers 404 for someone else's). */
export const orderPage: Page = async ({ route, signal, setTitle }) => {
  const id = route.params['id'] ?? '';
  let order: OrderView;
  try {
    order = await get<OrderView>(`/orders/${encodeURIComponent(id)}`, signal);
  } catch (error) {
    if (isApiError(error, 404))
      return h('section', null, h('h1', null, 'Order not found'), h('p', null, h('a', { href: href('/orders') }, 'Your orders')));
    return errorBox(error);
  }
  setTitle(`Order ${shortId(order.id)}`);
  return h(
    'section',
    { class: 'order', 'data-order-id': order.id },
    route.query.get('placed') ? notice('Thank you! Your order is placed.', 'success') : null,
    h('h1', null, `Order ${shortId(order.id)}`),
    h('p', null, statusBadge(order.status), ' ', formatDate(order.createdAt)),
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
        ),
      ),
      h(
        'tbody',
        null,
        order.lines.map((line) =>
          h(
            'tr',
            null,
            h('td', null, h('a', { href: href(`/products/${line.productId}`) }, line.name ?? `Product ${line.productId}`)),
            h('td', null, String(line.quantity)),
            h(
              'td',
              { class: 'num' },
              line.lineTotalCents !== undefined
                ? formatMoney(line.lineTotalCents, order.currency)
                : line.unitPriceCents !== undefined
                  ? formatMoney(line.unitPriceCents * line.quantity, order.currency)
                  : '',
            ),
          ),
        ),
      ),
      h(
        'tfoot',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'row', colspan: 2 }, 'Total'),
          h('td', { class: 'num' }, formatMoney(order.totalCents, order.currency)),
        ),
      ),
    ),
    h('p', null, h('a', { href: href('/orders') }, '← All my orders')),
  );
};

function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status.replace(/[^a-z_-]/gi, '')}` }, status.replace(/_/g, ' '));
}

/** Order ids are long and start alike (shard bucket, time): their last characters tell them apart. */
function shortId(id: string): string {
  return id.length > 10 ? `…${id.slice(-8)}` : id;
}
