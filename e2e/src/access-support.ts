/**
 * Helpers for the access suites (access*.e2e-spec.ts) and the storefront suites: a cookie-
 * keeping client of the running shop, accounts made for one test, admins made by the CLI.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { newClientAddress, uniqueName } from '@tenk/testing';
import { shopUrl } from '../support/e2e-env';

export const ROOT = path.resolve(__dirname, '../..');
export const PASSWORD = 'a long enough password';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw bytes instead of JSON (uploads). */
  raw?: { data: Uint8Array; contentType: string };
}

/**
 * Sends one request as a browser would (redirects are answers, not followed), keeps the session
 * cookie the shop sets in `holder`, and parses a JSON body; any other body is left as text.
 */
export async function fetchKeepingSession<T>(
  holder: { cookie?: string; writeToken?: string },
  url: string,
  init: RequestInit,
): Promise<Reply<T>> {
  const response = await fetch(url, { ...init, redirect: 'manual' });
  const cookies = response.headers.getSetCookie();
  const session = cookies.find((line) => line.startsWith('tenk_session='));
  if (session) holder.cookie = session.split(';')[0];
  // The read-your-writes token a write hands back (as a browser keeps it): the client's next
  // reads must see that write, whichever api instance serves them.
  const token = cookies.find((line) => line.startsWith('tenk_lsn='));
  if (token) holder.writeToken = token.split(';')[0];
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    // Not JSON (a CSV, a playlist, an HTML page): the text is the body.
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** The Cookie header a client sends: its session and its read-your-writes token, as a browser would. */
export function cookieHeader(holder: { cookie?: string; writeToken?: string }): string | undefined {
  const cookies = [holder.cookie, holder.writeToken].filter((cookie): cookie is string => !!cookie);
  return cookies.length > 0 ? cookies.join('; ') : undefined;
}

/** A browser-like client of the shop: keeps the session cookie and the read-your-writes token it was given. */
export class ShopClient {
  cookie: string | undefined;
  writeToken: string | undefined;
  user: { id: string; email: string; name: string; role: string } | undefined;

  /**
   * `client` is the address the api will see (sent as X-Forwarded-For: the balancer appends the
   * real one, a loopback address the api trusts). Failed sign-ins are counted per address, so
   * tests that fail on purpose use their own and never lock out 127.0.0.1 for other suites.
   */
  constructor(
    readonly base = shopUrl(),
    readonly client = newClientAddress(),
  ) {}

  async request<T = Record<string, unknown>>(method: string, route: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { 'x-forwarded-for': this.client, ...options.headers };
    const cookie = cookieHeader(this);
    if (cookie) headers['cookie'] = cookie;
    let body: RequestInit['body'];
    if (options.raw) {
      headers['content-type'] = options.raw.contentType;
      body = options.raw.data;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    return fetchKeepingSession<T>(this, `${this.base}${route}`, { method, headers, body });
  }

  /** Signs up a new customer (unique email) and keeps its session. */
  static async customer(label = 'customer'): Promise<ShopClient> {
    const client = new ShopClient();
    const email = uniqueEmail(label);
    const reply = await client.request('POST', '/users', { body: { email, name: `Test ${label}`, password: PASSWORD } });
    if (reply.status !== 201) throw new Error(`sign-up of ${email} answered ${reply.status}: ${reply.text}`);
    client.user = reply.body as ShopClient['user'];
    return client;
  }

  /** A new admin, created the only way there is: `npm run admin -- create`. */
  static async admin(): Promise<ShopClient> {
    const email = uniqueEmail('admin');
    const created = await runAdminCli(['create', '--email', email, '--name', 'Test Admin'], { TENK_ADMIN_PASSWORD: PASSWORD });
    if (created.status !== 0) throw new Error(`npm run admin -- create failed (${created.status}): ${created.stderr}`);
    const client = new ShopClient();
    const reply = await client.request('POST', '/auth/login', { body: { email, password: PASSWORD } });
    if (reply.status !== 200) throw new Error(`admin sign-in answered ${reply.status}: ${reply.text}`);
    client.user = reply.body as ShopClient['user'];
    return client;
  }
}

export function uniqueEmail(label: string): string {
  return `${uniqueName(label)}@example.com`.toLowerCase();
}

/** An address of its own for each client (@tenk/testing): per-client limits key on it. */
export { newClientAddress };

/**
 * Runs the admin CLI as a user would (`npm run admin -- ...`), with the e2e shop's settings.
 * Asynchronously: blocking the event loop for the seconds it takes would leave this process's
 * idle keep-alive connections to be closed by the server unnoticed, and the next request fail.
 */
export function runAdminCli(
  args: string[],
  env: Record<string, string> = {},
  input = '',
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, 'tools/admin/src/main.ts'), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, TENK_ADMIN_PASSWORD: '', ...env },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/**
 * Whether a feature's api code is in this tree. Orders (issue 4), videos and reports (issue 6)
 * are built alongside these suites: their access tests run once the code exists, and must pass.
 */
export function landed(feature: 'orders' | 'videos' | 'reports'): boolean {
  return existsSync(path.join(ROOT, 'apps/api/src', feature));
}

export const describeWhenLanded = (feature: 'orders' | 'videos' | 'reports'): jest.Describe => (landed(feature) ? describe : describe.skip);

/** A product to order: the first in stock of the seeded catalog. */
export async function someProduct(client = new ShopClient()): Promise<{ id: string; name: string; priceCents: number }> {
  const reply = await client.request<{ items: Array<{ id: string; name: string; priceCents: number; stock: number }> }>(
    'GET',
    '/products?limit=50&sort=price',
  );
  const product = reply.body.items.find((item) => item.stock > 100);
  if (!product) throw new Error('the seeded catalog has no product with stock; run npm run migrate');
  return product;
}

/** An error body must say what was wrong without showing how the code is built. */
export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(
    /SELECT |INSERT INTO|UPDATE "|QueryFailedError|TypeError|ReferenceError|node_modules|\bat .+\.(js|ts):\d+|password_hash/,
  );
}

/**
 * A small real video (ffmpeg's test pattern, H.264 in MP4), made once per run and cached:
 * `seconds` long, 320x240, about 20 KB a second.
 */
export async function testVideo(seconds = 2): Promise<Buffer> {
  const file = path.join(ROOT, '.tenk/test-results', `testsrc-${seconds}s.mp4`);
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.tmp.mp4`;
    await new Promise<void>((resolve, reject) => {
      const ffmpeg = spawn('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `testsrc=duration=${seconds}:size=320x240:rate=15`,
        '-pix_fmt',
        'yuv420p',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-y',
        partial,
      ]);
      let stderr = '';
      ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      ffmpeg.on('error', reject);
      ffmpeg.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${stderr}`))));
    });
    await rename(partial, file);
  }
  return readFile(file);
}
