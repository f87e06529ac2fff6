import type { UserView } from '@tenk/contracts/api';
import { cartCount } from './cart';
import { cart, loadCart } from './cart-store';
import { h, replace } from './dom';
import type { PageContext, PageDefinition } from './page';
import { PAGES } from './pages';
import { href, parseHash, type Route, type RouteName } from './router';
import { refreshSession, session, signOut } from './session';
import { errorBox, isAbort, loading } from './ui';

/**
 * The shell: header with navigation, the current page in <main>, hash routing. Every
 * navigation aborts the previous page's requests and timers (its AbortSignal).
 */
export class App {
  readonly #main = h('main', { id: 'main', tabindex: -1 });
  readonly #nav = h('nav', { class: 'nav', 'aria-label': 'Main' });
  /** Problems of the whole app (not of one page), shown above every page. */
  readonly #banner = h('div', { class: 'banner' });
  readonly #pages: Record<RouteName, PageDefinition>;
  #current: AbortController | undefined;

  constructor(
    private readonly root: HTMLElement,
    pages: Record<RouteName, PageDefinition> = PAGES,
  ) {
    this.#pages = pages;
  }

  async start(): Promise<void> {
    loadCart();
    replace(
      this.root,
      h('a', { class: 'skip', href: '#main', onclick: (event: Event) => (event.preventDefault(), this.#main.focus()) }, 'Skip to content'),
      h(
        'header',
        { class: 'top' },
        h('a', { class: 'brand', href: href('/') }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '10k'), 'tenk shop'),
        this.#nav,
      ),
      this.#banner,
      this.#main,
      h('footer', { class: 'foot' }, h('span', null, 'tenk: a shop built to stay up past 10K users.')),
    );
    session.subscribe(() => this.#renderNav());
    cart.subscribe(() => this.#renderNav());
    window.addEventListener('hashchange', () => void this.render());
    replace(this.#main, loading());
    try {
      await refreshSession();
    } catch (error) {
      // The shop is slow or unreachable: go on as signed out, and say so.
      session.set(null);
      this.#banner.replaceChildren(
        errorBox(
          isAbort(error) || (error instanceof DOMException && error.name === 'TimeoutError')
            ? new Error('the shop is slow to answer right now: you may need to sign in again, or reload in a moment')
            : error,
        ),
      );
    }
    await this.render();
  }

  navigate(path: string, query: Record<string, string | number | undefined> = {}): void {
    const target = href(path, query);
    if (location.hash === target) void this.render();
    else location.hash = target;
  }

  async render(): Promise<void> {
    this.#current?.abort();
    const controller = new AbortController();
    this.#current = controller;
    const route = parseHash(location.hash);
    const definition = this.#pages[route.name];
    const user = session.value ?? null;
    this.#renderNav(route);

    if (definition.access !== 'public' && !user) return this.navigate('/signin', { next: nextOf(route) });
    if (definition.access === 'admin' && user?.role !== 'admin') {
      replace(
        this.#main,
        h('h1', null, 'Admins only'),
        h(
          'p',
          null,
          'This page needs an admin account. Ask an admin, or create one with ',
          h('code', null, 'npm run admin -- create'),
          '.',
        ),
      );
      return;
    }
    const context: PageContext = {
      route,
      user,
      signal: controller.signal,
      navigate: (path, query) => this.navigate(path, query),
      setTitle: (title) => {
        document.title = `${title} · tenk shop`;
      },
    };
    const slow = setTimeout(() => replace(this.#main, loading()), 150);
    try {
      const page = await definition.render(context);
      if (controller.signal.aborted) return;
      replace(this.#main, page);
    } catch (error) {
      if (controller.signal.aborted || isAbort(error)) return;
      replace(this.#main, h('h1', null, 'Something went wrong'), errorBox(error));
    } finally {
      clearTimeout(slow);
    }
    if (document.activeElement === document.body || !this.#main.contains(document.activeElement)) window.scrollTo({ top: 0 });
  }

  #renderNav(route: Route = parseHash(location.hash)): void {
    const user = session.value;
    const count = cartCount(cart.value);
    const link = (path: string, label: string, name: RouteName, extra?: Record<string, string>) =>
      h('a', { href: href(path), 'aria-current': route.name === name ? 'page' : undefined, ...extra }, label);
    replace(
      this.#nav,
      link('/', 'Shop', 'catalog'),
      link('/cart', count > 0 ? `Cart (${count})` : 'Cart', 'cart', { 'data-testid': 'nav-cart' }),
      user ? link('/orders', 'My orders', 'orders') : null,
      user ? link('/videos', 'Videos', 'videos') : null,
      user ? link('/reports', 'Reports', 'reports') : null,
      user === undefined
        ? null
        : user
          ? this.#userMenu(user)
          : [link('/signin', 'Sign in', 'signin'), link('/signup', 'Sign up', 'signup')],
    );
  }

  #userMenu(user: UserView): HTMLElement {
    return h(
      'span',
      { class: 'user' },
      h('span', { class: 'muted', 'data-testid': 'nav-user' }, user.role === 'admin' ? `${user.name} (admin)` : user.name),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: async () => {
            try {
              await signOut();
            } finally {
              this.navigate('/');
            }
          },
        },
        'Sign out',
      ),
    );
  }
}

function nextOf(route: Route): string {
  const query = route.query.toString();
  return `${route.path}${query ? `?${query}` : ''}`;
}
