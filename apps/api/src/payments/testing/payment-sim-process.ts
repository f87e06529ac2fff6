import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { controlHeaders, createControlToken } from '@tenk/control-plane';
import { eventually, freePort } from '@tenk/testing';

const ROOT = path.resolve(__dirname, '../../../../..');

/** tools/payment-sim as its own process on free ports, with its fault switches and counters. */
export class PaymentSimProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly adminUrl: string,
    /** Its admin API's token (faults and stats change only with it). */
    readonly controlToken: string,
  ) {}

  static async start(): Promise<PaymentSimProcess> {
    const [port, adminPort] = [await freePort(), await freePort()];
    const controlToken = createControlToken();
    const child = spawn(process.execPath, ['-r', './tools/register.cjs', 'tools/payment-sim/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TENK_PAYMENT_SIM_PORT: String(port),
        TENK_PAYMENT_SIM_ADMIN_PORT: String(adminPort),
        TENK_LOG_LEVEL: 'error',
        TENK_CONTROL_TOKEN: controlToken,
      },
      stdio: 'ignore',
    });
    const sim = new PaymentSimProcess(child, `http://127.0.0.1:${port}`, `http://127.0.0.1:${adminPort}`, controlToken);
    await eventually(() => fetch(`${sim.adminUrl}/health`).then((r) => r.ok), 'payment-sim answers /health', 30_000);
    return sim;
  }

  async faults(faults: Record<string, unknown> | 'none'): Promise<void> {
    const response = await fetch(`${this.adminUrl}/admin/faults`, {
      method: faults === 'none' ? 'DELETE' : 'PUT',
      headers: controlHeaders(this.controlToken),
      body: JSON.stringify(faults === 'none' ? {} : faults),
    });
    if (response.status !== 200) throw new Error(`payment-sim refused the faults: ${response.status} ${await response.text()}`);
  }

  /** Authorizations the simulator holds (a repeated idempotency key makes none). */
  async authorizations(): Promise<number> {
    return (await this.#stats()).authorizations;
  }

  /** Payment requests that reached the simulator (all routes), since the last resetStats(). */
  async received(): Promise<number> {
    return Object.values((await this.#stats()).received).reduce((sum, count) => sum + count, 0);
  }

  async resetStats(): Promise<void> {
    const response = await fetch(`${this.adminUrl}/admin/stats`, {
      method: 'DELETE',
      headers: controlHeaders(this.controlToken),
      body: '{}',
    });
    if (response.status !== 200) throw new Error(`payment-sim refused to clear its stats: ${response.status} ${await response.text()}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  async #stats(): Promise<{ authorizations: number; received: Record<string, number> }> {
    return (await (await fetch(`${this.adminUrl}/admin/stats`)).json()) as { authorizations: number; received: Record<string, number> };
  }
}
