import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { busyLabPorts } from '@tenk/lab';
import type { ShopHostReady, ShopHostRequest } from './shop-host';

const ROOT = path.resolve(__dirname, '../../..');
const REGISTER = path.join(ROOT, 'tools/register.cjs');
const START_TIMEOUT_MS = 180_000;

/** The lab shop, run for one load test in a child process (see shop-host.ts). */
export class LaunchedShop {
  readonly url: string;
  readonly pids: Record<string, number>;
  /** The child that supervises the shop. */
  readonly hostPid: number;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess, ready: ShopHostReady) {
    this.#child = child;
    this.url = ready.url;
    this.pids = ready.pids;
    this.hostPid = child.pid ?? 0;
  }

  /** Builds the workspace, checks the lab ports are free, starts the shop and waits until it is ready. */
  static async start(request: ShopHostRequest, log: (line: string) => void): Promise<LaunchedShop> {
    const [busy] = await busyLabPorts();
    if (busy !== undefined)
      throw new Error(
        `port ${busy} is in use: another lab run (or lab shop) is going on; wait for it and retry, or point --url at a running shop`,
      );
    log('building (npm run build) for the lab shop');
    const build = spawnSync(process.execPath, ['-r', REGISTER, path.join(ROOT, 'tools/build/src/main.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (build.status !== 0) throw new Error(`the build failed:\n${build.stdout}${build.stderr}`);
    // Its own process group, so a Ctrl-C at the terminal reaches the load tool only, which
    // then stops the shop in order once the report is written.
    const child = spawn(process.execPath, ['-r', REGISTER, path.join(__dirname, 'shop-host.ts'), JSON.stringify(request)], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') log(line);
    });
    const ready = await new Promise<ShopHostReady>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the lab shop was not ready within ${START_TIMEOUT_MS / 1_000} s`)),
        START_TIMEOUT_MS,
      );
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as ShopHostReady);
        } catch {
          reject(new Error(`the lab shop host printed "${line}" instead of its ready line`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the lab shop host exited (code ${code}) before the shop was ready; see .tenk/logs/lab/`));
      });
    });
    return new LaunchedShop(child, ready);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  }
}
