import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { Shop, type ShopOptions } from '@tenk/shop';
import type { LabContext } from './experiment';

/**
 * The lab's own shop: the same stack, its own HTTP ports (so `npm start` and the e2e shop are
 * left alone). Experiments start it with the settings they compare.
 */
export const LAB_ENV: Record<string, string> = {
  TENK_API_PORT: '5001',
  TENK_MEDIA_WORKER_PORT: '5101',
  TENK_MAILER_PORT: '5102',
  TENK_REPORTS_PORT: '5103',
  TENK_PAYMENT_SIM_PORT: '5200',
  TENK_PAYMENT_SIM_ADMIN_PORT: '5201',
  TENK_BALANCER_PORT: '28080',
  TENK_BALANCER_ADMIN_PORT: '28081',
  TENK_MAP_PORT: '28082',
  TENK_SHOP_CONTROL_PORT: '28089',
  TENK_PUBLIC_URL: 'http://127.0.0.1:28080',
  TENK_QUEUE_PREFIX: 'tenk-lab',
  // Numbers without tracing unless an experiment turns it on (its env wins): the shop
  // otherwise traces to Jaeger whenever it runs.
  TENK_OTLP_ENDPOINT: 'off',
  TENK_KAFKA_GROUP_PREFIX: 'tenk-lab',
  TENK_LOG_LEVEL: 'warn',
  // Load runs sign up thousands of users from a hundred or so loopback addresses (--client-ips):
  // the per-client sign-up limit that stops a flood from one client would turn most away.
  TENK_SIGNUP_MAX_PER_CLIENT: '1000000',
};

/**
 * Starts the lab shop from dist/ (run `npm run build` first; the lab's npm script does), logging
 * to .tenk/logs/lab/ with its balancer config in .tenk/run/balancer-lab/ (npm start's shop is
 * left alone). `npm run load -- --start-shop` starts it too, with a context that only logs.
 */
export function startLabShop(context: Pick<LabContext, 'log'>, options: Omit<ShopOptions, 'log'> = {}): Promise<Shop> {
  context.log(`starting the lab shop (${options.apiInstances ?? 2} api instances) on :${LAB_ENV['TENK_BALANCER_PORT']}`);
  return Shop.start({ name: 'lab', ...options, env: { ...LAB_ENV, ...(options.env ?? {}) }, log: (line) => context.log(line) });
}

/** The lab shop's api, payment-sim and balancer ports: while one answers, a lab shop is running. */
const LAB_PORTS = ['TENK_API_PORT', 'TENK_PAYMENT_SIM_PORT', 'TENK_BALANCER_PORT'].map((name) => Number(LAB_ENV[name]));

/** The lab ports something listens on now (another lab run's shop, or a load run's). */
export async function busyLabPorts(): Promise<number[]> {
  const busy = await Promise.all(LAB_PORTS.map(listening));
  return LAB_PORTS.filter((_, index) => busy[index]);
}

/**
 * Only one lab run at a time measures anything: waits (up to 20 minutes) while another run
 * holds the lab ports. `quietMs`: how long they must have been free in a row, for a run that
 * must not slip in between another experiment's two shops (which frees them for a moment).
 */
export async function waitForFreeLabPorts(context: Pick<LabContext, 'log'>, quietMs = 0): Promise<void> {
  const deadline = Date.now() + 20 * 60_000;
  let freeSince: number | undefined;
  let logged = false;
  for (;;) {
    const busy = (await busyLabPorts()).length > 0;
    if (busy) freeSince = undefined;
    else freeSince ??= Date.now();
    if (freeSince !== undefined && Date.now() - freeSince >= quietMs) return;
    if (Date.now() > deadline)
      throw new Error(`the lab ports (${LAB_PORTS.join(', ')}) stayed busy for 20 minutes: another lab run is still going`);
    if (busy && !logged) {
      context.log(`the lab ports (${LAB_PORTS.join(', ')}) are busy: another lab run is going; waiting for it`);
      logged = true;
    }
    await sleep(1_000);
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Up to 100 product ids from a shop's catalog (the api or the balancer at `origin`). */
export async function labProductIds(origin: string): Promise<string[]> {
  const response = await request(`${origin}/products?limit=100`);
  const body = (await response.body.json()) as { items: Array<{ id: string | number }> };
  if (response.statusCode !== 200 || body.items.length === 0)
    throw new Error(`GET /products answered ${response.statusCode}: is the catalog seeded (npm run migrate)?`);
  return body.items.map((item) => String(item.id));
}
