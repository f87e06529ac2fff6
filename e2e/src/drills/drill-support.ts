/**
 * Helpers for the fault drills: stop and start parts of the real stack (tools/infra), kill
 * and start processes of the running e2e shop (the launcher's control API), and keep a load
 * going while it happens, counting every answer.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Agent, request as undiciRequest } from 'undici';
import { eventually } from '@tenk/testing';
import { controlCallHeaders } from '../../support/control-planes';
import { controlUrl, shopUrl } from '../../support/e2e-env';

const ROOT = path.resolve(__dirname, '../../..');

/** `npm run infra -- <action> <service>`: the real service stops or starts. */
export function infra(action: 'up' | 'down', service: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, 'tools/infra/src/main.ts'), action, service],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`infra ${action} ${service} failed (${code}):\n${output}`))));
  });
}

/** Stops, kills or starts a process of the e2e shop (api-1, media-worker, ...), with the run's control token. */
export async function control(name: string, action: 'stop' | 'start' | 'kill'): Promise<void> {
  const response = await fetch(controlUrl(`/processes/${name}/${action}`), {
    method: 'POST',
    headers: controlCallHeaders(),
    body: '{}',
    signal: AbortSignal.timeout(90_000),
  });
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

/** One answer of a load request: enough to count it. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A GET through the balancer from a given loopback source address. The balancer limits each
 * client address (limit_req), as nginx would: a drill's load comes from several addresses
 * (127.21.0.x, all this machine on Linux), as real visitors would.
 */
export function getFrom(source: Agent, route: string): Promise<Answer> {
  return undiciRequest(shopUrl(route), { dispatcher: source, headersTimeout: 10_000, bodyTimeout: 10_000 }).then(async (response) => {
    await response.body.arrayBuffer();
    return { status: response.statusCode, headers: response.headers };
  });
}

/**
 * Runs `request` from `concurrency` loops, each from its own source address and pausing
 * `pauseMs` between requests, until stopped.
 * Each request has its own timeout, so a hang counts as a failure instead of stalling the drill.
 */
export function keepLoading(
  request: (source: Agent, i: number) => Promise<Answer>,
  {
    concurrency = 6,
    pauseMs = 20,
    isOk = (a: Answer) => a.status === 200,
  }: { concurrency?: number; pauseMs?: number; isOk?: (answer: Answer) => boolean } = {},
): { tally: LoadTally; stop(): Promise<LoadTally> } {
  const tally: LoadTally = { ok: 0, failed: 0, failures: [], statuses: {} };
  let running = true;
  let counter = 0;
  const sources = Array.from({ length: concurrency }, (_, i) => new Agent({ localAddress: `127.21.0.${i + 1}` }));
  const loops = sources.map(async (source) => {
    while (running) {
      const i = counter++;
      try {
        const answer = await request(source, i);
        tally.statuses[answer.status] = (tally.statuses[answer.status] ?? 0) + 1;
        if (isOk(answer)) tally.ok += 1;
        else {
          tally.failed += 1;
          tally.failures.push(`HTTP ${answer.status}`);
        }
      } catch (error) {
        tally.failed += 1;
        tally.failures.push((error as Error).message);
      }
      // Visitors pause between pages; each address stays well within the balancer's per-client limit.
      await sleep(pauseMs);
    }
  });
  return {
    tally,
    async stop() {
      running = false;
      await Promise.all(loops);
      await Promise.all(sources.map((source) => source.close()));
      return tally;
    },
  };
}

export const get = (route: string, init: RequestInit = {}): Promise<Response> =>
  fetch(shopUrl(route), { ...init, signal: AbortSignal.timeout(10_000) });

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the shop answers /health/ready through the balancer with 200. */
export async function shopReady(): Promise<void> {
  await eventually(async () => (await get('/health/ready')).status === 200, 'the shop never became ready again', 90_000, 500);
}
