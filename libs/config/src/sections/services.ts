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
  const balancerPort = env.servicePort('balancer');
  const paymentSimPort = env.servicePort('paymentSim');
  return {
    bindHost: env.oneOf('TENK_BIND_HOST', ['127.0.0.1', '0.0.0.0', '::', '::1'] as const, '127.0.0.1'),
    apiPort: env.servicePort('api'),
    apiInstances: env.int('TENK_API_INSTANCES', 2, { min: 1, max: 16 }),
    mediaWorkerPort: env.servicePort('mediaWorker'),
    mailerPort: env.servicePort('mailer'),
    reportsPort: env.servicePort('reports'),
    balancerPort,
    balancerAdminPort: env.servicePort('balancerAdmin'),
    paymentSimPort,
    paymentSimAdminPort: env.servicePort('paymentSimAdmin'),
    mapPort: env.servicePort('map'),
    shopControlPort: env.servicePort('shopControl'),
    publicUrl: env.url('TENK_PUBLIC_URL', `http://127.0.0.1:${balancerPort}`),
    paymentUrl: env.url('TENK_PAYMENT_URL', `http://127.0.0.1:${paymentSimPort}`),
  };
}
