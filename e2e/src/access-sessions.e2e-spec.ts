import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@tenk/config';
import { ShopProcess } from '@tenk/shop';
import { freePort } from '@tenk/testing';
import { E2E_ENV } from '../support/e2e-env';
import { ShopClient } from './access-support';

const ROOT = path.resolve(__dirname, '../..');
/** The configured state dir's logs (TENK_STATE_DIR), as the e2e shop's own processes use: not <repo>/.tenk in a worktree. */
const LOGS = loadConfig({ ...E2E_ENV, ...process.env }).paths.logs;

/**
 * Sessions live in Redis, not in an api process: any instance serves any user, and restarting
 * an instance logs no one out. The e2e shop's own instances keep serving the other suites, so
 * this suite starts an extra api instance of its own (the same build) and restarts that one.
 */
describe('sessions across api instances and restarts', () => {
  let api: ShopProcess;
  let apiUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    mkdirSync(LOGS, { recursive: true });
    apiUrl = `http://127.0.0.1:${port}`;
    api = new ShopProcess(
      {
        name: 'api-restart-drill',
        command: process.execPath,
        args: ['--enable-source-maps', path.join(ROOT, 'dist/apps/api/src/main.js')],
        env: { ...E2E_ENV, TENK_API_PORT: String(port) },
        readyUrl: `${apiUrl}/health/ready`,
        logFile: path.join(LOGS, 'e2e-api-restart-drill.log'),
      },
      () => undefined,
      false,
    );
    api.start();
    await api.waitReady();
  });

  afterAll(async () => {
    await api.stop();
    api.closeLog();
  });

  it('serves a session made through the balancer on another instance, before and after that instance restarts', async () => {
    const customer = await ShopClient.customer('restart');
    const direct = new ShopClient(apiUrl);
    direct.cookie = customer.cookie;
    expect((await direct.request('GET', '/auth/me')).body).toMatchObject({ id: customer.user!.id });

    await api.stop();
    expect(api.state).toBe('stopped');
    api.start();
    await api.waitReady();

    const afterRestart = await direct.request('GET', '/auth/me');
    expect(afterRestart.status).toBe(200);
    expect(afterRestart.body).toMatchObject({ id: customer.user!.id, email: customer.user!.email });
    // And the balancer's instances still know the session too.
    expect((await customer.request('GET', '/auth/me')).status).toBe(200);
  });

  it('ends a session on every instance at logout', async () => {
    const customer = await ShopClient.customer('logout-everywhere');
    const direct = new ShopClient(apiUrl);
    direct.cookie = customer.cookie;
    expect((await customer.request('POST', '/auth/logout')).status).toBe(204);
    expect((await direct.request('GET', '/auth/me')).status).toBe(401);
  });
});
