/**
 * Helpers for the fault drills: stop and start parts of the real stack (tools/infra), kill
 * and start processes of the running e2e shop (the launcher's control API), and keep a load
 * going while it happens, counting every answer.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { eventually } from '@tenk/testing';
import { controlUrl, shopUrl } from '../../support/e2e-env';

const ROOT = path.resolve(__dirname, '../../..');

/** `npm run infra -- <action> <service>`: the real service stops or starts. */
export function infra(action: 'up' | 'down', service: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, 'tools/infra/src/main.ts'), action, service], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`infra ${action} ${service} failed (${code}):\n${output}`))));
  });
}

/** Stops, kills or starts a process of the e2e shop (api-1, media-worker, ...). */
export async function control(name: string, action: 'stop' | 'start' | 'kill'): Promise<void> {
  const response = await fetch(controlUrl(`/processes/${name}/${action}`), { method: 'POST', signal: AbortSignal.timeout(90_000) });
  if (!response.ok) throw new Error(`control ${action} ${name}: ${response.status} ${await response.text()}`);
}

export async function processState(name: string): Promise<string> {
  return ((await (await fetch(controlUrl(`/processes/${name}`))).json()) as { state: string }).state;
}

export interface LoadTally {
  ok: number;
  failed: number;
  /** Status (or error) of each failure, for the assertion message. */
  failures: string[];
  statuses: Record<string, number>;
}

/**
 * Runs `request` from `concurrency` loops until stopped. Each request gets its own client
 * timeout, so a hang counts as a failure instead of stalling the drill.
 */
export function keepLoading(request: (i: number) => Promise<Response>, concurrency = 6, isOk: (response: Response) => boolean = (r) => r.status === 200): { tally: LoadTally; stop(): Promise<LoadTally> } {
  const tally: LoadTally = { ok: 0, failed: 0, failures: [], statuses: {} };
  let running = true;
  let counter = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      const i = counter++;
      try {
        const response = await request(i);
        await response.arrayBuffer();
        tally.statuses[response.status] = (tally.statuses[response.status] ?? 0) + 1;
        if (isOk(response)) tally.ok += 1;
        else {
          tally.failed += 1;
          tally.failures.push(`HTTP ${response.status}`);
        }
      } catch (error) {
        tally.failed += 1;
        tally.failures.push((error as Error).message);
      }
    }
  });
  return {
    tally,
    async stop() {
      running = false;
      await Promise.all(loops);
      return tally;
    },
  };
}

export const get = (route: string, init: RequestInit = {}): Promise<Response> => fetch(shopUrl(route), { ...init, signal: AbortSignal.timeout(10_000) });

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the shop answers /health/ready through the balancer with 200. */
export async function shopReady(): Promise<void> {
  await eventually(async () => (await get('/health/ready')).status === 200, 'the shop never became ready again', 90_000, 500);
}
