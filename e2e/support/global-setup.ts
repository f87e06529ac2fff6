import type { Server } from 'node:http';
import { Shop, startControlServer } from '@tenk/shop';
import { E2E_ENV } from './e2e-env';

declare global {
  var __TENK_E2E_SHOP__: Shop | undefined;
  var __TENK_E2E_CONTROL__: Server | undefined;
}

/** Starts the shop once for every e2e suite, as `npm start` does (from dist/, all components). */
export default async function globalSetup(): Promise<void> {
  // `npm run compose -- test` runs only the compose suite, which brings up a shop of its own;
  // `npm run e2e -- hosts` only the hosts drills, which start theirs on many hosts.
  if (process.env['TENK_E2E_SHOP'] === 'off') return;
  const started = Date.now();
  process.stdout.write('\n[e2e] starting the shop on e2e ports...\n');
  const shop = await Shop.start({ name: 'e2e', env: E2E_ENV, log: (line) => process.stdout.write(`[e2e] ${line}\n`) });
  globalThis.__TENK_E2E_SHOP__ = shop;
  // The suites stop, start and kill processes of this shop through the launcher's control API.
  globalThis.__TENK_E2E_CONTROL__ = await startControlServer(shop, shop.config.services.shopControlPort);
  process.env['TENK_E2E_SHOP_URL'] = shop.urls.shop;
  for (const [name, value] of Object.entries(E2E_ENV)) process.env[name] = value;
  process.stdout.write(`[e2e] shop ready at ${shop.urls.shop} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
