/**
 * Test harness for the integration tests: real upstream HTTP servers on free ports, the
 * balancer started in-process from a config text, or as a child process (for signals).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createControlToken } from '@tenk/control-plane';
import { Balancer } from '../balancer';
import { loadConfig } from '../config/load-config';
import { LogSink } from '../observability/log-sink';
import { Logger } from '../observability/logger';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestUpstream {
  name: string;
  port: number;
  address: string;
  server: http.Server;
  requests: SeenRequest[];
  /** Replaces how requests are answered (default: 200 with a JSON body naming the upstream). */
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Health endpoint answer (GET /health/ready). */
  healthy: boolean;
  close(): Promise<void>;
  /** Kills the server and every open connection at once (a crash). */
  kill(): void;
}

/** An upstream on 127.0.0.1:<free port>. Knows a few test paths: /slow?ms=N, /status/N, /upload. */
export async function startUpstream(name: string, port = 0): Promise<TestUpstream> {
  const sockets = new Set<Socket>();
  const upstream: TestUpstream = {
    name,
    port: 0,
    address: '',
    server: http.createServer(),
    requests: [],
    healthy: true,
    handle: defaultHandler,
    close: () =>
      new Promise((resolve) => {
        upstream.server.close(() => resolve());
        upstream.server.closeAllConnections();
      }),
    kill: () => {
      upstream.server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
  function defaultHandler(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/upload') {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => reply(res, 200, { upstream: name, bytes, sha256: hash.digest('hex') }));
      return;
    }
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (status) return reply(res, Number(status[1]), { upstream: name, status: Number(status[1]) });
    if (url.pathname === '/slow') {
      setTimeout(() => reply(res, 200, { upstream: name, slow: true }), Number(url.searchParams.get('ms') ?? '100'));
      return;
    }
    req.resume();
    req.on('end', () => reply(res, 200, { upstream: name, method: req.method, url: req.url }));
  }
  upstream.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  upstream.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/health/ready') {
      req.resume();
      return reply(res, upstream.healthy ? 200 : 503, { healthy: upstream.healthy });
    }
    upstream.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    upstream.handle(req, res);
  });
  await new Promise<void>((resolve) => upstream.server.listen(port, '127.0.0.1', resolve));
  upstream.port = (upstream.server.address() as AddressInfo).port;
  upstream.address = `127.0.0.1:${upstream.port}`;
  return upstream;
}

export function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-upstream': (body as { upstream?: string }).upstream ?? '',
  });
  res.end(text);
}

export function writeConfig(text: string, name = 'tenk.conf'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-balancer-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

export interface RunningBalancer {
  balancer: Balancer;
  file: string;
  url: string;
  adminUrl: string;
  /** The admin API's token (a new one per balancer). */
  controlToken: string;
  close(): Promise<void>;
}

/** Starts the balancer in this process. Listen on 127.0.0.1:0 in the config; the real ports are in url/adminUrl. */
export async function startBalancer(configText: string): Promise<RunningBalancer> {
  const file = writeConfig(configText);
  const config = loadConfig(file, { env: {} });
  const controlToken = createControlToken();
  const balancer = await Balancer.start(config, {
    configFile: file,
    loadOptions: { env: {} },
    logger: new Logger(new LogSink({ kind: 'off' }), 'info', true),
    control: { token: controlToken },
  });
  return {
    balancer,
    file,
    url: `http://127.0.0.1:${balancer.port()}`,
    adminUrl: `http://127.0.0.1:${balancer.adminPort}`,
    controlToken,
    close: () => balancer.close(),
  };
}

export interface BalancerProcess {
  child: ChildProcess;
  file: string;
  port: number;
  adminPort: number;
  /** The admin API's token, handed to the process in TENK_CONTROL_TOKEN. */
  controlToken: string;
  /** JSON log lines seen so far. */
  lines: Array<Record<string, unknown>>;
  waitForLine(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

const WORKSPACE = path.resolve(__dirname, '../../../..');

/** Runs `main.ts` as a child process (as `npm run balancer` does) and waits until it listens. */
export async function startBalancerProcess(file: string, args: string[] = []): Promise<BalancerProcess> {
  const controlToken = createControlToken();
  const child = spawn(
    process.execPath,
    ['-r', path.join(WORKSPACE, 'tools/register.cjs'), path.join(WORKSPACE, 'apps/balancer/src/main.ts'), '-c', file, ...args],
    {
      cwd: WORKSPACE,
      env: { ...process.env, TENK_BALANCER_PORT: '', TENK_BALANCER_ADMIN_PORT: '', TENK_CONTROL_TOKEN: controlToken },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ predicate: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  let buffered = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.predicate(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      } catch {
        // Not a JSON line: ignore.
      }
    }
  });
  let exitSignal: NodeJS.Signals | null = null;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      exitSignal = signal;
      resolve(code);
    }),
  );
  const waitForLine = (predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 20_000) => {
    const seen = lines.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}; lines: ${JSON.stringify(lines.slice(-5))}`)),
        timeoutMs,
      );
      waiters.push({
        predicate,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void exited.then((code) =>
        reject(new Error(`balancer exited (${code ?? exitSignal}) before the expected log line; stderr: ${stderr}`)),
      );
    });
  };
  const started = await waitForLine((line) => line.msg === 'balancer started');
  const port = Number(
    String((started.listen as string[])[0])
      .split(':')
      .pop(),
  );
  const adminPort = Number(String(started.admin).split(':').pop());
  return { child, file, port, adminPort, controlToken, lines, waitForLine, exited };
}

/** Polls `check` until it returns true (the state under test changes over time), or fails after timeoutMs. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What a spec starts in its tests, each stopped after the test that started it. */
export interface SpecProcesses {
  upstream(name: string): Promise<TestUpstream>;
  /** A balancer process on `file`; one still running after its test is killed. */
  balancer(file: string): Promise<BalancerProcess>;
  /** Anything else to undo after the test (run in reverse order, after the processes started later). */
  onCleanup(step: () => Promise<void> | void): void;
}

/** Registers an afterEach that undoes what the test started: call at a spec file's top level. */
export function specProcesses(): SpecProcesses {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  return {
    async upstream(name) {
      const started = await startUpstream(name);
      cleanup.push(() => started.close());
      return started;
    },
    async balancer(file) {
      const started = await startBalancerProcess(file);
      cleanup.push(async () => {
        if (started.child.exitCode === null) {
          started.child.kill('SIGKILL');
          await started.exited;
        }
      });
      return started;
    },
    onCleanup: (step) => cleanup.push(step),
  };
}
