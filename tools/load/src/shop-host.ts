/**
 * Runs the lab shop in a process of its own for `npm run load -- --start-shop`, so that the
 * work of supervising it (its children's logs are piped through the launcher) is not charged
 * to the load generator. Prints one JSON line, {url, pids}, when the shop is ready; stops the
 * shop on SIGTERM or when its parent goes away (stdin closes).
 *
 * Usage (by run-load.ts): node -r tools/register.cjs tools/load/src/shop-host.ts '<json>'
 * with {"apiInstances": 2, "env": {"TENK_SWITCH_CACHE": "off"}}.
 */
import { startLabShop } from '@tenk/lab';

const SETTLE_MS = 1_500;

export interface ShopHostRequest {
  apiInstances: number;
  env: Record<string, string>;
}

export interface ShopHostReady {
  url: string;
  pids: Record<string, number>;
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as Partial<ShopHostRequest>;
  const log = (message: string) => process.stderr.write(`[lab shop] ${message}\n`);
  const shop = await startLabShop({ log }, { apiInstances: request.apiInstances ?? 2, env: request.env ?? {} });
  // A process whose port another shop took exits at once, yet that other shop's process may
  // have answered its readiness URL: check that every process of ours is still running.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const gone = [...shop.processes.values()].filter((process) => process.state !== 'ready' || process.pid === undefined);
  if (gone.length > 0) {
    await shop.stop();
    throw new Error(
      `${gone.map((process) => process.spec.name).join(', ')} did not stay up (a lab port taken by another lab run?); see .tenk/logs/lab/`,
    );
  }
  const pids: Record<string, number> = {};
  for (const [name, process] of shop.processes) if (process.pid !== undefined) pids[name] = process.pid;
  const ready: ShopHostReady = { url: shop.urls.shop, pids };
  process.stdout.write(`${JSON.stringify(ready)}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping');
    await shop.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.resume();
}

main().catch((error: unknown) => {
  process.stderr.write(`[lab shop] failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
