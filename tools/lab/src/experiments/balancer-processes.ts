/**
 * Process plumbing shared by the balancer experiments: free ports, pinned child processes,
 * nginx from Debian's package run as our own process, and tenk's balancer.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { createControlToken } from '@tenk/control-plane';

export const WORKSPACE = path.resolve(__dirname, '../../../..');
const REGISTER = path.join(WORKSPACE, 'tools/register.cjs');

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** Every pid to charge CPU to (nginx: master and worker). */
  pids(): number[];
  stop(): Promise<void>;
}

/** `taskset -c CPU` in front of a command when the machine has 2+ CPUs and taskset exists. */
export function pinning(): { available: boolean; loadCpu: string; balancerCpu: string } {
  const available = os.cpus().length >= 2 && spawnSync('taskset', ['-V']).status === 0;
  return { available, loadCpu: '0', balancerCpu: String(os.cpus().length - 1) };
}

export function pinned(cpu: string | null, command: string, args: string[]): [string, string[]] {
  return cpu === null ? [command, args] : ['taskset', ['-c', cpu, command, ...args]];
}

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve) => {
          const server = net.createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Starts a child and waits for `readyLine` on stdout, or for `readyUrl` to answer. */
export async function startChild(
  name: string,
  command: string,
  args: string[],
  ready: { line?: string; url?: string },
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Child> {
  const child = spawn(command, args, { cwd: options.cwd ?? WORKSPACE, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready:\n${output}`);
    if (ready.line && output.includes(ready.line)) break;
    if (ready.url) {
      const answered = await request(ready.url).then(
        async (response) => {
          await response.body.dump();
          return response.statusCode < 500;
        },
        () => false,
      );
      if (answered) break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // taskset execs the command, so the child's pid is the command's.
  const pid = child.pid as number;
  return {
    name,
    process: child,
    pid,
    pids: () => [pid, ...childPids(pid)],
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function nginxBinary(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (existsSync(candidate)) return candidate;
  return null;
}

/**
 * Real nginx, from Debian's package, as a process of our own: its own prefix folder, config,
 * pid file and logs under a temp folder, on the ports we chose. A system nginx (if any) is not
 * touched: we never signal it, read its config or use its ports.
 */
export async function startNginx(binary: string, cpu: string | null, config: string, port: number): Promise<Child> {
  const prefix = mkdtempSync(path.join(os.tmpdir(), 'tenk-lab-nginx-'));
  for (const dir of ['logs', 'tmp']) mkdirSync(path.join(prefix, dir));
  const file = path.join(prefix, 'nginx.conf');
  writeFileSync(file, config.replace(/\$PREFIX/g, prefix));
  const [command, args] = pinned(cpu, binary, ['-p', prefix, '-e', path.join(prefix, 'logs/error.log'), '-c', file]);
  return startChild('nginx', command, args, { url: `http://127.0.0.1:${port}/` });
}

/** nginx.conf equivalent to tenk's: one worker, keep-alive upstream pool, no access log. */
export function nginxConfig(port: number, upstreams: number[], method = ''): string {
  return `worker_processes 1;
daemon off;
pid $PREFIX/nginx.pid;
error_log $PREFIX/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $PREFIX/tmp/body;
  proxy_temp_path $PREFIX/tmp/proxy;
  fastcgi_temp_path $PREFIX/tmp/fastcgi;
  uwsgi_temp_path $PREFIX/tmp/uwsgi;
  scgi_temp_path $PREFIX/tmp/scgi;
  upstream api {
    ${method}
    ${upstreams.map((p) => `server 127.0.0.1:${p};`).join('\n    ')}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-Id $request_id;
    }
  }
}
`;
}

/** The admin token of the balancers the lab starts (this process's own, never npm start's). */
export const LAB_CONTROL_TOKEN = createControlToken();

/**
 * tenk's balancer on the same upstreams: from dist/ as `npm start` runs it (`npm run lab`
 * builds first), or from source when there is no build. Its admin API takes LAB_CONTROL_TOKEN.
 */
export async function startTenk(
  cpu: string | null,
  config: string,
  port: number,
  adminPort: number,
  extra: TenkExtras = {},
): Promise<Child> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-lab-balancer-'));
  const file = path.join(dir, 'tenk.conf');
  writeFileSync(file, config);
  return startTenkFile(cpu, file, port, adminPort, false, extra);
}

/** More environment for tenk, and flags for its node (`--cpu-prof`, which NODE_OPTIONS refuses). */
export interface TenkExtras {
  env?: NodeJS.ProcessEnv;
  nodeArgs?: string[];
}

/**
 * The shop's own balancer config (apps/balancer/conf/tenk.conf: least_conn, max_conns and the
 * queue, the health check, the JSON access log to stdout, the storefront's locations), copied
 * beside an `api-servers.conf` listing `upstreams` with the shipped server parameters, as
 * tools/shop writes it for `npm start`. Returns the tenk.conf to start; the ports are moved with
 * TENK_BALANCER_PORT / TENK_BALANCER_ADMIN_PORT (startTenkFile's `ports`).
 */
export function shopConfigFile(upstreams: number[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-lab-balancer-shop-'));
  const shipped = path.join(WORKSPACE, 'apps/balancer/conf');
  for (const name of readdirSync(shipped).filter((file) => file.endsWith('.conf') && file !== 'api-servers.conf'))
    copyFileSync(path.join(shipped, name), path.join(dir, name));
  const parameters = /^server\s+\S+((?:\s+[^\s;]+)*)\s*;/m.exec(readFileSync(path.join(shipped, 'api-servers.conf'), 'utf8'))?.[1] ?? '';
  writeFileSync(path.join(dir, 'api-servers.conf'), `${upstreams.map((port) => `server 127.0.0.1:${port}${parameters};`).join('\n')}\n`);
  return path.join(dir, 'tenk.conf');
}

/**
 * tenk started on a config file. `movePorts`: the file's own ports are replaced with `port`
 * and `adminPort` through the environment (the shop config listens on 8080/8081).
 */
export async function startTenkFile(
  cpu: string | null,
  file: string,
  port: number,
  adminPort: number,
  movePorts = false,
  extra: TenkExtras = {},
): Promise<Child> {
  const built = path.join(WORKSPACE, 'dist/apps/balancer/src/main.js');
  const script = existsSync(built) ? [built] : ['-r', REGISTER, path.join(WORKSPACE, 'apps/balancer/src/main.ts')];
  const [command, args] = pinned(cpu, process.execPath, [...(extra.nodeArgs ?? []), ...script, '-c', file]);
  const child = await startChild(
    'tenk',
    command,
    args,
    { url: `http://127.0.0.1:${adminPort}/health` },
    {
      env: {
        ...process.env,
        TENK_BALANCER_PORT: movePorts ? String(port) : '',
        TENK_BALANCER_ADMIN_PORT: movePorts ? String(adminPort) : '',
        TENK_CONTROL_TOKEN: LAB_CONTROL_TOKEN,
        ...extra.env,
      },
    },
  );
  await request(`http://127.0.0.1:${port}/`).then((response) => response.body.dump());
  return child;
}

export function tenkConfig(
  port: number,
  adminPort: number,
  upstreams: number[],
  options: { method?: string; accessLog?: boolean } = {},
): string {
  return `admin_listen 127.0.0.1:${adminPort};
${options.accessLog ? 'access_log /dev/null json;' : 'access_log off;'}
upstream api {
  ${options.method ?? ''}
  ${upstreams.map((p) => `server 127.0.0.1:${p};`).join('\n  ')}
  keepalive 64;
}
server {
  listen 127.0.0.1:${port};
  location / { proxy_pass http://api; }
}
`;
}

/**
 * An OTLP/HTTP endpoint that accepts trace batches and drops them, in the lab's own process
 * (its CPU is not charged to the balancer): what a traced balancer pays to make and send its
 * spans, without Jaeger's own work on the machine.
 */
export async function startOtlpSink(): Promise<{ url: string; spans: () => number; close: () => Promise<void> }> {
  let batches = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      batches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => batches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function startUpstreams(mode: 'fast' | 'queue' | 'hold', ports: number[], cpu: string | null): Promise<Child> {
  const [command, args] = pinned(cpu, process.execPath, [
    '-r',
    REGISTER,
    path.join(__dirname, 'balancer-upstreams.ts'),
    mode,
    ...ports.map(String),
  ]);
  return startChild(`upstreams (${mode})`, command, args, { line: 'ready' });
}
