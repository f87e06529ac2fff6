import { Shop } from '@tenk/shop';
import { hostsEnv } from './hosts-env';
import { shopPlacement } from './stack';

/**
 * The shop on the hosts (the stack must be up): api-1 on app-1, api-2 on app-2, the workers
 * and payment-sim on workers, the balancer and the map on this machine's loopback. What `npm run hosts --
 * shop` runs and what the hosts drills start.
 */
export function startHostsShop(
  options: { log?: (line: string) => void; restartOnCrash?: boolean; env?: Record<string, string> } = {},
): Promise<Shop> {
  return Shop.start({
    name: 'hosts',
    env: { ...hostsEnv(), ...options.env },
    apiInstances: 2,
    components: ['payment-sim', 'api', 'media-worker', 'mailer', 'reports', 'balancer', 'map'],
    placement: shopPlacement,
    restartOnCrash: options.restartOnCrash ?? false,
    log: options.log,
  });
}
