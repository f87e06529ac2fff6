import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { controlRequest, createControlToken, HOSTILE_CONTROL_CALLS, type ControlCall } from '@tenk/control-plane';
import { freePort } from '@tenk/testing';
import { startControlServer, type ControlledShop } from './control-server';
import { ShopProcess } from './shop-process';

/** A real child process under the launcher's supervision: a tiny HTTP server standing in for api-1. */
async function startChild(logs: string): Promise<ShopProcess> {
  const port = await freePort();
  const child = new ShopProcess(
    {
      name: 'api-1',
      command: process.execPath,
      args: ['-e', `require('node:http').createServer((req, res) => res.end('ok')).listen(${port}, '127.0.0.1')`],
      env: {},
      readyUrl: `http://127.0.0.1:${port}/health`,
      logFile: path.join(logs, 'api-1.log'),
    },
    () => undefined,
    false,
  );
  child.start();
  await child.waitReady(10_000);
  return child;
}

describe("the launcher's control API", () => {
  const token = createControlToken();
  const logs = mkdtempSync(path.join(os.tmpdir(), 'tenk-control-server-'));
  let child: ShopProcess;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    child = await startChild(logs);
    const processes = new Map([['api-1', child]]);
    const shop: ControlledShop = {
      processes,
      describe: () =>
        [...processes.values()].map((p) => ({ name: p.spec.name, pid: p.pid, state: p.state, restarts: p.restarts, url: p.spec.readyUrl })),
      controlToken: token,
      controlTokenFile: path.join(logs, 'control-token'),
    };
    server = await startControlServer(shop, 0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await child.stop();
    child.closeLog();
    await new Promise((resolve) => server.close(resolve));
  });

  const kill = (): ControlCall => ({ method: 'POST', url: `${base}/processes/api-1/kill`, token, body: '{}' });

  it.each(HOSTILE_CONTROL_CALLS)('refuses $name, and the process lives on', async (hostile) => {
    const pid = child.pid;
    const answer = await controlRequest(hostile.from(kill()));
    expect(answer.status).toBe(hostile.status);
    expect((JSON.parse(answer.body) as { error: string }).error).toMatch(hostile.message);
    expect(child.state).toBe('ready');
    expect(child.pid).toBe(pid);
  });

  it('names where the token is when it is missing', async () => {
    const answer = await controlRequest({ ...kill(), token: undefined });
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="tenk control"');
    expect(answer.body).toContain(`it is in ${path.join(logs, 'control-token')}`);
  });

  it('refuses an empty or non-object JSON body', async () => {
    expect(JSON.parse((await controlRequest({ ...kill(), body: '' })).body)).toEqual({
      error: 'the body is empty: send a JSON object ({} when there is nothing to say)',
    });
    expect((await controlRequest({ ...kill(), body: '[]' })).status).toBe(400);
    expect(child.state).toBe('ready');
  });

  it('lists the processes to anyone on loopback, but not under a foreign Host', async () => {
    const list = await controlRequest({ method: 'GET', url: `${base}/processes`, contentType: null });
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body)).toEqual([expect.objectContaining({ name: 'api-1', state: 'ready' })]);
    const rebound = await controlRequest({ method: 'GET', url: `${base}/processes`, contentType: null, host: 'evil.example:8089' });
    expect(rebound.status).toBe(403);
  });

  it('has no hosts on one machine: GET /hosts answers 404 saying so, and only GET is taken', async () => {
    const hosts = await controlRequest({ method: 'GET', url: `${base}/hosts`, contentType: null });
    expect([hosts.status, JSON.parse(hosts.body).error]).toEqual([404, expect.stringContaining('runs on one machine')]);
    const posted = await controlRequest({ method: 'POST', url: `${base}/hosts`, token, body: '{}' });
    expect(posted.status).toBe(405);
  });

  it('lists the hosts of a shop on many, to loopback callers only', async () => {
    const hosts = [{ name: 'app-2', address: '10.0.0.12', link: 'CUT in', services: [{ name: 'api-2', healthy: false }] }];
    const many = await startControlServer(
      { processes: new Map(), describe: () => [], controlToken: token, controlTokenFile: path.join(logs, 'control-token') },
      0,
      { hosts: async () => hosts },
    );
    try {
      const url = `http://127.0.0.1:${(many.address() as AddressInfo).port}/hosts`;
      const listed = await controlRequest({ method: 'GET', url, contentType: null });
      expect([listed.status, JSON.parse(listed.body)]).toEqual([200, hosts]);
      expect((await controlRequest({ method: 'GET', url, contentType: null, host: 'evil.example:8089' })).status).toBe(403);
    } finally {
      await new Promise((resolve) => many.close(resolve));
    }
  });

  it('kills the process when the call is right', async () => {
    const answer = await controlRequest(kill());
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ name: 'api-1', state: 'crashed' });
    expect(child.pid).toBeUndefined();
  });
});
