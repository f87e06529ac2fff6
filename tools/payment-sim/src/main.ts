/**
 * payment-sim: stands in for a payment provider. Payment API on TENK_PAYMENT_SIM_PORT (3200),
 * admin API (faults, stats, /health, /metrics) on TENK_PAYMENT_SIM_ADMIN_PORT (3201). Changing
 * faults takes the run's control token (TENK_CONTROL_TOKEN, else .tenk/control-token):
 *   T=$(cat .tenk/control-token); H=(-H "Authorization: Bearer $T" -H 'Content-Type: application/json')
 *   curl -X PUT localhost:3201/admin/faults "${H[@]}" -d '{"hang":true}'      # make it hang
 *   curl -X DELETE localhost:3201/admin/faults "${H[@]}" -d '{}'              # back to normal
 */
import { isConfigError, loadConfig } from '@tenk/config';
import { controlTokenHint, resolveControlToken } from '@tenk/control-plane';
import { createLogger } from '@tenk/observability';
import { PaymentSim } from './payment-sim';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ service: 'payment-sim', level: config.runtime.logLevel });
  const control = resolveControlToken({ stateDir: config.paths.state });
  const sim = new PaymentSim({
    port: config.services.paymentSimPort,
    adminPort: config.services.paymentSimAdminPort,
    host: config.services.bindHost,
    controlToken: control.token,
    controlTokenHint: controlTokenHint(control),
    logger,
  });
  await sim.start();
  logger.info({ controlToken: control.source, created: control.created }, 'admin API: faults and stats change only with the control token');
  const stop = () => void sim.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`payment-sim: ${isConfigError(error) || error instanceof Error ? (error as Error).message : String(error)}\n`);
  process.exit(1);
});
