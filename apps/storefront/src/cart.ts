import type { ProductView } from '@tenk/contracts/api';

/** The cart lives in the browser (localStorage) until checkout: no api call per click. */
export interface CartLine {
  productId: string;
  name: string;
  /** The price when added; the order's total, computed by the api, is what is charged. */
  priceCents: number;
  currency: string;
  quantity: number;
}

export interface Cart {
  lines: CartLine[];
}

export const MAX_QUANTITY = 99;
export const MAX_LINES = 50;
export const EMPTY_CART: Cart = { lines: [] };

export function addToCart(cart: Cart, product: Pick<ProductView, 'id' | 'name' | 'priceCents' | 'currency'>, quantity = 1): Cart {
  const existing = cart.lines.find((line) => line.productId === product.id);
  if (existing) return setQuantity(cart, product.id, existing.quantity + quantity);
  if (cart.lines.length >= MAX_LINES) throw new RangeError(`a cart holds at most ${MAX_LINES} different products`);
  const line: CartLine = {
    productId: product.id,
    name: product.name,
    priceCents: product.priceCents,
    currency: product.currency,
    quantity: clampQuantity(quantity),
  };
  return { lines: [...cart.lines, line] };
}

/** Sets a line's quantity (clamped to 1..99); 0 or less removes the line. */
export function setQuantity(cart: Cart, productId: string, quantity: number): Cart {
  if (!Number.isFinite(quantity) || quantity <= 0) return { lines: cart.lines.filter((line) => line.productId !== productId) };
  return { lines: cart.lines.map((line) => (line.productId === productId ? { ...line, quantity: clampQuantity(quantity) } : line)) };
}

export function cartCount(cart: Cart): number {
  return cart.lines.reduce((sum, line) => sum + line.quantity, 0);
}

export function cartTotal(cart: Cart): { cents: number; currency: string } {
  return { cents: cart.lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0), currency: cart.lines[0]?.currency ?? 'EUR' };
}

/** The body of POST /orders. */
export function orderBody(cart: Cart): { lines: Array<{ productId: string; quantity: number }> } {
  return { lines: cart.lines.map((line) => ({ productId: line.productId, quantity: line.quantity })) };
}

/** Same products and quantities -> same text: an order retried for the same cart reuses its key. */
export function cartFingerprint(cart: Cart): string {
  return orderBody(cart)
    .lines.map((line) => `${line.productId}x${line.quantity}`)
    .sort()
    .join(',');
}

/** Reads a stored cart, dropping anything that is not a well-formed line (old or edited data). */
export function parseCart(raw: string | null): Cart {
  if (!raw) return EMPTY_CART;
  try {
    const value = JSON.parse(raw) as { lines?: unknown };
    if (!Array.isArray(value.lines)) return EMPTY_CART;
    const lines = value.lines
      .filter(isCartLine)
      .slice(0, MAX_LINES)
      .map((line) => ({ ...line, quantity: clampQuantity(line.quantity) }));
    return { lines };
  } catch {
    return EMPTY_CART;
  }
}

function isCartLine(value: unknown): value is CartLine {
  if (!value || typeof value !== 'object') return false;
  const line = value as Record<string, unknown>;
  return (
    typeof line['productId'] === 'string' &&
    /^\d{1,18}$/.test(line['productId']) &&
    typeof line['name'] === 'string' &&
    Number.isInteger(line['priceCents']) &&
    typeof line['currency'] === 'string' &&
    Number.isInteger(line['quantity']) &&
    (line['quantity'] as number) > 0
  );
}

function clampQuantity(quantity: number): number {
  return Math.min(MAX_QUANTITY, Math.max(1, Math.floor(quantity)));
}
