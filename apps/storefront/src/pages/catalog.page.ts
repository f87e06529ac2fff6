import type { ProductPage, ProductView } from '@tenk/contracts/api';
import { get, withQuery } from '../api';
import { addToCart } from '../cart';
import { cart, saveCart } from '../cart-store';
import { h } from '../dom';
import { formatMoney } from '../money';
import type { Page } from '../page';
import { href } from '../router';
import { errorBox, notice } from '../ui';

export const PAGE_SIZE = 12;

/** `#/?q=mug&page=2`: search by name, a page of products at a time. */
export const catalogPage: Page = async ({ route, signal, navigate, setTitle }) => {
  const search = (route.query.get('q') ?? '').trim().slice(0, 100);
  const page = Math.max(1, Math.min(10_000, Number.parseInt(route.query.get('page') ?? '1', 10) || 1));
  setTitle(search ? `“${search}”` : 'Shop');

  const input = h('input', {
    type: 'search',
    name: 'q',
    value: search,
    placeholder: 'Search products',
    'aria-label': 'Search products',
    maxlength: 100,
    autocomplete: 'off',
  });
  const form = h(
    'form',
    {
      class: 'search',
      role: 'search',
      onsubmit: (event: Event) => {
        event.preventDefault();
        navigate('/', { q: input.value.trim() || undefined });
      },
    },
    input,
    h('button', { type: 'submit' }, 'Search'),
  );

  let result: ProductPage;
  try {
    result = await get<ProductPage>(withQuery('/products', { search: search || undefined, page, limit: PAGE_SIZE }), signal);
  } catch (error) {
    return h('section', null, form, errorBox(error));
  }
  const pages = Math.max(1, Math.ceil(result.total / result.limit));
  const summary =
    result.total === 0
      ? null
      : h(
          'p',
          { class: 'muted', 'data-testid': 'result-count' },
          `${result.total.toLocaleString()} product${result.total === 1 ? '' : 's'}${search ? ` matching “${search}”` : ''}`,
        );
  return h(
    'section',
    null,
    form,
    summary,
    result.items.length === 0
      ? notice(search ? `Nothing matches “${search}”. Try another word.` : 'No products yet.')
      : h('ul', { class: 'product-grid' }, result.items.map(productCard)),
    pages > 1 ? pager(page, pages, search) : null,
  );
};

function productCard(product: ProductView): HTMLElement {
  const add = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      disabled: product.stock <= 0,
      onclick: () => {
        saveCart(addToCart(cart.value, product));
        add.textContent = 'Added ✓';
      },
    },
    product.stock > 0 ? 'Add to cart' : 'Sold out',
  );
  return h(
    'li',
    { class: 'product-card', 'data-product-id': product.id },
    h(
      'a',
      { href: href(`/products/${product.id}`), class: 'product-link' },
      productImage(product),
      h('span', { class: 'product-name' }, product.name),
    ),
    h('span', { class: 'muted' }, product.category),
    h('span', { class: 'price' }, formatMoney(product.priceCents, product.currency)),
    add,
  );
}

/** The product's picture, or a coloured tile with its initials when it has none. */
export function productImage(product: ProductView, large = false): HTMLElement {
  if (product.image && /^(\/|https:\/\/)/.test(product.image)) {
    return h('img', {
      class: large ? 'product-image large' : 'product-image',
      src: product.image,
      alt: '',
      decoding: 'async',
      width: large ? 480 : 240,
      height: large ? 360 : 180,
    });
  }
  const hue = [...product.id].reduce((sum, char) => sum + char.charCodeAt(0) * 37, 0) % 360;
  const initials = product.name
    .split(/\s+/)
    .slice(0, 2)
    .map((word) => word[0] ?? '')
    .join('')
    .toUpperCase();
  const tile = h(
    'span',
    { class: large ? 'product-image placeholder large' : 'product-image placeholder', 'aria-hidden': 'true' },
    initials,
  );
  // Through the CSSOM, not a style="" attribute: the page's Content-Security-Policy allows no inline styles.
  tile.style.setProperty('--hue', String(hue));
  return tile;
}

function pager(page: number, pages: number, search: string): HTMLElement {
  const link = (target: number, label: string, rel: string) =>
    target < 1 || target > pages
      ? h('span', { class: 'pager-disabled', 'aria-disabled': 'true' }, label)
      : h('a', { href: href('/', { q: search || undefined, page: target }), rel }, label);
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    link(page - 1, '← Previous', 'prev'),
    h('span', { 'data-testid': 'page-of' }, `Page ${page} of ${pages.toLocaleString()}`),
    link(page + 1, 'Next →', 'next'),
  );
}
