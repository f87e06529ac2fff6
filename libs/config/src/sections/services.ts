import { DEFAULT_PORTS } from '../defaults';
import { EnvReader } from '../env-reader';

/** Where tenk's own processes listen. */
export interface ServicesConfig {
  /** The address every tenk process listens on: 127.0.0.1 locally, 0.0.0.0 in a container. */
  bindHost: string;
  /** This api instance's port (the launcher gives each instance its own). */
  apiPort: number;
  /** How many api instances `npm start` runs, on apiPort, apiPort+1, ... */
  apiInstances: number;
  mediaWorkerPort: number;
  mailerPort: number;
  reportsPort: number;
  balancerPort: number;
  balancerAdminPort: number;
  paymentSimPort: number;
  /** payment-sim's admin API: fault modes, stats, health, metrics. */
  paymentSimAdminPort: number;
  /** The live architecture map (apps/map). */
  mapPort: number;
  /** The launcher's local control API (start/stop/kill a process of the shop). */
  shopControlPort: number;
  /** The public URL users open (the balancer), used in mails and links. */
  publicUrl: string;
  /** The payment provider the api calls (payment-sim locally). */
  paymentUrl: string;
}

export function readServices(env: EnvReader): ServicesConfig {
  const balancerPort = env.port('TENK_BALANCER_PORT', DEFAULT_PORTS.balancer);
  const paymentSimPort = env.port('TENK_PAYMENT_SIM_PORT', DEFAULT_PORTS.paymentSim);
  return {
    bindHost: env.oneOf('TENK_BIND_HOST', ['127.0.0.1', '0.0.0.0', '::', '::1'] as const, '127.0.0.1'),
    apiPort: env.port('TENK_API_PORT', DEFAULT_PORTS.api),
    apiInstances: env.int('TENK_API_INSTANCES', 2, { min: 1, max: 16 }),
    mediaWorkerPort: env.port('TENK_MEDIA_WORKER_PORT', DEFAULT_PORTS.mediaWorker),
    mailerPort: env.port('TENK_MAILER_PORT', DEFAULT_PORTS.mailer),
    reportsPort: env.port('TENK_REPORTS_PORT', DEFAULT_PORTS.reports),
    balancerPort,
    balancerAdminPort: env.port('TENK_BALANCER_ADMIN_PORT', DEFAULT_PORTS.balancerAdmin),
    paymentSimPort,
    paymentSimAdminPort: env.port('TENK_PAYMENT_SIM_ADMIN_PORT', DEFAULT_PORTS.paymentSimAdmin),
    mapPort: env.port('TENK_MAP_PORT', DEFAULT_PORTS.map),
    shopControlPort: env.port('TENK_SHOP_CONTROL_PORT', DEFAULT_PORTS.shopControl),
    publicUrl: env.url('TENK_PUBLIC_URL', `http://127.0.0.1:${balancerPort}`),
    paymentUrl: env.url('TENK_PAYMENT_URL', `http://127.0.0.1:${paymentSimPort}`),
  };
}
