import { EMPTY_CART, parseCart, type Cart } from './cart';
import { Store } from './store';

const STORAGE_KEY = 'tenk.cart';

/** The cart, kept in localStorage and in step across this browser's tabs. */
export const cart = new Store<Cart>(EMPTY_CART);

export function loadCart(): void {
  cart.set(parseCart(localStorage.getItem(STORAGE_KEY)));
  window.addEventListener('storage', (event) => {
    if (event.key === STORAGE_KEY) cart.set(parseCart(event.newValue));
  });
}

export function saveCart(next: Cart): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  cart.set(next);
}
