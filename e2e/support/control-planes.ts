/**
 * The e2e shop's control ports (the launcher, the map, the balancer's admin, payment-sim's
 * admin) as the suites and drills call them: with the run's control token, which the shop
 * global-setup started wrote to .tenk/control-token-e2e (mode 0600), as npm start writes its own.
 */
import { loadConfig } from '@tenk/config';
import { controlHeaders, controlTokenFile, readControlTokenFile } from '@tenk/control-plane';
import { E2E_ENV } from './e2e-env';

let token: string | undefined;

/** The e2e shop's control token (read once: it is the same for the whole run). */
export function controlToken(): string {
  token ??= readControlTokenFile(controlTokenFile(loadConfig().paths.state, 'e2e'));
  return token;
}

/** Headers for a state-changing control call: the token and a JSON Content-Type. */
export function controlCallHeaders(): Record<string, string> {
  return controlHeaders(controlToken());
}

/** The e2e shop's payment-sim admin API. */
export function paymentSimAdminUrl(path = ''): string {
  return `http://127.0.0.1:${E2E_ENV['TENK_PAYMENT_SIM_ADMIN_PORT']}${path}`;
}

/** The e2e shop's balancer admin listener. */
export function balancerAdminUrl(path = ''): string {
  return `http://127.0.0.1:${E2E_ENV['TENK_BALANCER_ADMIN_PORT']}${path}`;
}

/** Sets payment-sim's faults (`'none'` clears them); throws unless it took them. */
export async function paymentFaults(faults: Record<string, unknown> | 'none'): Promise<void> {
  const response = await fetch(paymentSimAdminUrl('/admin/faults'), {
    method: faults === 'none' ? 'DELETE' : 'PUT',
    headers: controlCallHeaders(),
    body: JSON.stringify(faults === 'none' ? {} : faults),
  });
  if (response.status !== 200)
    throw new Error(`payment-sim refused the faults ${JSON.stringify(faults)}: ${response.status} ${await response.text()}`);
}
