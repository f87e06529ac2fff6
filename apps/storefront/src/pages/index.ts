import { h } from '../dom';
import type { Page, PageDefinition } from '../page';
import { href, type RouteName } from '../router';
import { signInPage, signUpPage } from './account.page';
import { cartPage } from './cart.page';
import { catalogPage } from './catalog.page';
import { checkoutPage } from './checkout.page';
import { orderPage, ordersPage } from './orders.page';
import { productPage } from './product.page';
import { reportsPage } from './reports.page';
import { videoPage, videosPage } from './videos.page';

const notFoundPage: Page = ({ setTitle }) => {
  setTitle('Not found');
  return h('section', null, h('h1', null, 'Page not found'), h('p', null, h('a', { href: href('/') }, 'Back to the shop')));
};

/** Every route's page and who may open it. */
export const PAGES: Record<RouteName, PageDefinition> = {
  catalog: { render: catalogPage, access: 'public' },
  product: { render: productPage, access: 'public' },
  cart: { render: cartPage, access: 'public' },
  checkout: { render: checkoutPage, access: 'signed-in' },
  orders: { render: ordersPage, access: 'signed-in' },
  order: { render: orderPage, access: 'signed-in' },
  signin: { render: signInPage, access: 'public' },
  signup: { render: signUpPage, access: 'public' },
  videos: { render: videosPage, access: 'signed-in' },
  video: { render: videoPage, access: 'signed-in' },
  reports: { render: reportsPage, access: 'signed-in' },
  notFound: { render: notFoundPage, access: 'public' },
};
