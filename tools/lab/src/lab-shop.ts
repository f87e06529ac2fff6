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
  TENK_KAFKA_GROUP_PREFIX: 'tenk-lab',
  TENK_LOG_LEVEL: 'warn',
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
