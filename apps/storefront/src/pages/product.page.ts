import type { ProductView } from '@tenk/contracts/api';
import { get, isApiError } from '../api';
import { addToCart } from '../cart';
import { cart, saveCart } from '../cart-store';
import { h } from '../dom';
import { formatMoney } from '../money';
import type { Page } from '../page';
import { href } from '../router';
import { errorBox, field, notice } from '../ui';
import { productImage } from './catalog.page';

/** `#/products/:id`: the product, and a quantity to put in the cart. */
export const productPage: Page = async ({ route, signal, setTitle }) => {
  let product: ProductView;
  try {
    product = await get<ProductView>(`/products/${encodeURIComponent(route.params['id'] ?? '')}`, signal);
  } catch (error) {
    if (isApiError(error, 404))
      return h('section', null, h('h1', null, 'Product not found'), h('p', null, h('a', { href: href('/') }, 'Back to the shop')));
    return errorBox(error);
  }
  setTitle(product.name);
  const quantity = h('input', {
    type: 'number',
    name: 'quantity',
    min: 1,
    max: Math.max(1, Math.min(99, product.stock)),
    value: 1,
    inputmode: 'numeric',
  });
  const status = h('div');
  const form = h(
    'form',
    {
      class: 'buy',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const count = Number.parseInt(quantity.value, 10);
        if (!Number.isInteger(count) || count < 1) {
          status.replaceChildren(errorBox(new Error('choose a quantity of at least 1')));
          return;
        }
        saveCart(addToCart(cart.value, product, count));
        status.replaceChildren(
          notice(h('span', null, `Added ${count} to your cart. `, h('a', { href: href('/cart') }, 'View cart')), 'success'),
        );
      },
    },
    field('Quantity', quantity),
    h('button', { type: 'submit', disabled: product.stock <= 0 }, product.stock > 0 ? 'Add to cart' : 'Sold out'),
  );
  return h(
    'article',
    { class: 'product-detail' },
    productImage(product, true),
    h(
      'div',
      null,
      h('p', { class: 'muted' }, h('a', { href: href('/') }, 'Shop'), ' › ', product.category),
      h('h1', null, product.name),
      h('p', { class: 'price large' }, formatMoney(product.priceCents, product.currency)),
      h('p', null, product.description || 'No description yet.'),
      h(
        'p',
        { class: 'muted' },
        product.stock > 0 ? `${product.stock.toLocaleString()} in stock · SKU ${product.sku}` : `Out of stock · SKU ${product.sku}`,
      ),
      form,
      status,
    ),
  );
};
