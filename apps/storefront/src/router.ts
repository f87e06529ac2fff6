/**
 * Hash routing (`/#/products/12`), so every path without a hash stays the api's: the balancer
 * serves index.html at `/` only and proxies everything else.
 */
export const ROUTES = {
  catalog: '/',
  product: '/products/:id',
  cart: '/cart',
  checkout: '/checkout',
  orders: '/orders',
  order: '/orders/:id',
  signin: '/signin',
  signup: '/signup',
  videos: '/videos',
  video: '/videos/:id',
  reports: '/reports',
} as const;

export type RouteName = keyof typeof ROUTES | 'notFound';

export interface Route {
  name: RouteName;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
}

const compiled = Object.entries(ROUTES).map(([name, pattern]) => {
  const keys: string[] = [];
  const source = pattern.replace(/:([a-z]+)/g, (_, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { name: name as RouteName, keys, regex: new RegExp(`^${source}/?$`) };
});

/** `#/products/12?x=1` -> {name: 'product', params: {id: '12'}, query: x=1}. */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/';
  const [pathPart = '/', queryPart = ''] = raw.split('?', 2);
  const path = pathPart.startsWith('/') ? pathPart : `/${pathPart}`;
  const query = new URLSearchParams(queryPart);
  for (const route of compiled) {
    const match = route.regex.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    route.keys.forEach((key, index) => {
      params[key] = safeDecode(match[index + 1] ?? '');
    });
    return { name: route.name, path, params, query };
  }
  return { name: 'notFound', path, params: {}, query };
}

/** A link to a route: href('/products/12') -> '#/products/12'; empty query values are left out. */
export function href(path: string, query: Record<string, string | number | undefined | null> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const search = params.toString();
  return `#${path}${search ? `?${search}` : ''}`;
}

/** Only same-app paths are followed after sign-in (no `next=https://elsewhere`). */
export function safeNext(next: string | null): string {
  return next && /^\/[A-Za-z0-9/_?=&%.-]*$/.test(next) && !next.startsWith('//') ? next : '/';
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
