import { request } from 'undici';
import { controlRequest } from '@tenk/control-plane';
import { writeFileSync } from 'node:fs';
import type { BalancerStatus } from './admin/status';
import { eventually, specProcesses, writeConfig, type BalancerProcess } from './testing/harness';

/**
 * worker_processes N: a primary and N workers sharing the listening socket, as nginx's master
 * and workers. accept_mutex on (node:cluster's SCHED_RR: the primary hands connections to the
 * workers in turn) makes which worker gets a new connection predictable, which these tests
 * need; off (the default) the kernel picks.
 */
const { upstream, balancer: balancerProcess } = specProcesses();

/** A balancer process on this configuration text. */
function balancer(text: string): Promise<BalancerProcess> {
  return balancerProcess(writeConfig(text));
}

function config(upstreamBody: string, extra = ''): string {
  return `worker_processes 2;
events { accept_mutex on; }
admin_listen 127.0.0.1:0;
access_log off;
upstream api { ${upstreamBody} }
server {
  listen 127.0.0.1:0;
  add_header X-Worker-Pid $pid;
  location / { proxy_pass http://api; }
  ${extra}
}
`;
}

/** A request on a new connection each time (accept_mutex on: the workers take turns). */
async function get(lb: BalancerProcess, path = '/'): Promise<{ status: number; pid: string; body: string }> {
  const response = await request(`http://127.0.0.1:${lb.port}${path}`, { headers: { connection: 'close' }, reset: true });
  return { status: response.statusCode, pid: String(response.headers['x-worker-pid']), body: await response.body.text() };
}

async function status(lb: BalancerProcess): Promise<BalancerStatus> {
  return (await (await request(`http://127.0.0.1:${lb.adminPort}/status`)).body.json()) as BalancerStatus;
}

async function metrics(lb: BalancerProcess): Promise<string> {
  return (await request(`http://127.0.0.1:${lb.adminPort}/metrics`)).body.text();
}

function metric(text: string, line: string): number {
  const found = text.split('\n').find((candidate) => candidate.startsWith(`${line} `));
  return Number(found?.split(' ').pop());
}

describe('worker_processes 2', () => {
  it('serves from both workers; /status and /metrics sum them; a killed worker is replaced; reload and switches reach every worker', async () => {
    const a = await upstream('a');
    const lb = await balancer(config(`server ${a.address};`));
    const pids = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const answer = await get(lb);
      expect(answer.status).toBe(200);
      pids.add(answer.pid);
    }
    expect(pids.size).toBe(2);
    expect(pids.has(String(lb.child.pid))).toBe(false);

    const summed = await status(lb);
    expect(summed.pid).toBe(lb.child.pid);
    expect(summed.workers?.list.map((worker) => String(worker.pid)).sort()).toEqual([...pids].sort());
    expect(summed.requests.total).toBe(10);
    expect(summed.workers?.list.every((worker) => worker.requests > 0)).toBe(true);
    expect(summed.upstreams[0].peers[0].requests).toBe(10);
    const text = await metrics(lb);
    expect(metric(text, 'tenk_balancer_requests_total')).toBe(10);
    expect(metric(text, `tenk_balancer_peer_requests_total{upstream="api",peer="${a.address}"}`)).toBe(10);
    expect(metric(text, 'tenk_balancer_workers')).toBe(2);
    const page = await (await request(`http://127.0.0.1:${lb.adminPort}/`)).body.text();
    expect(page).toContain('2 workers (accept_mutex on, 0 restarted), figures summed');

    // A worker that dies is started again by the primary, and logged.
    const victim = Number([...pids][0]);
    process.kill(victim, 'SIGKILL');
    const exited = await lb.waitForLine((line) => line.msg === 'worker exited: starting a new one');
    expect(exited).toMatchObject({ level: 'error', worker_pid: victim, signal: 'SIGKILL', restarts: 1 });
    await eventually(
      async () => {
        const list = (await status(lb)).workers?.list ?? [];
        return list.length === 2 && !list.some((worker) => worker.pid === victim);
      },
      20_000,
      'a new worker',
    );
    const after = new Set<string>();
    for (let i = 0; i < 6; i++) after.add((await get(lb)).pid);
    expect(after.size).toBe(2);
    expect(after.has(String(victim))).toBe(false);
    expect(metric(await metrics(lb), 'tenk_balancer_worker_restarts_total')).toBe(1);

    // POST /reload: the primary checks the file, then every worker loads it.
    writeFileSync(lb.file, config(`server ${a.address};`, 'location = /new { return 200 "reloaded\\n"; }'));
    const reload = await controlRequest({
      method: 'POST',
      url: `http://127.0.0.1:${lb.adminPort}/reload`,
      token: lb.controlToken,
      body: '{}',
    });
    expect(reload.status).toBe(200);
    const served = await Promise.all([get(lb, '/new'), get(lb, '/new'), get(lb, '/new'), get(lb, '/new')]);
    expect(new Set(served.map((answer) => answer.pid)).size).toBe(2);
    expect(served.map((answer) => answer.body)).toEqual(Array(4).fill('reloaded\n'));
    writeFileSync(lb.file, `${config(`server ${a.address};`)}\nnot_a_directive;\n`);
    const refused = await controlRequest({
      method: 'POST',
      url: `http://127.0.0.1:${lb.adminPort}/reload`,
      token: lb.controlToken,
      body: '{}',
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/"not_a_directive" unknown directive/);

    // An algorithm switch (token needed) is broadcast: every worker answers with least_conn.
    const put = { method: 'PUT', url: `http://127.0.0.1:${lb.adminPort}/upstreams/api/algorithm`, body: '{"algorithm": "least_conn"}' };
    expect((await controlRequest({ ...put, token: 'wrong' })).status).toBe(401);
    expect((await controlRequest({ ...put, token: lb.controlToken })).status).toBe(200);
    expect((await status(lb)).upstreams[0].algorithm).toBe('least_conn');
  }, 90_000);

  it('with a zone, a peer one worker found dead is out in every worker; without one, each worker finds out by itself (as nginx)', async () => {
    const live = await upstream('live');
    // Port 9 (discard) refuses connections: the first attempt on it fails and is retried on the live peer.
    const peers = `server 127.0.0.1:9 max_fails=1 fail_timeout=60s; server ${live.address};`;

    const zoned = await balancer(config(`zone api 64k; ${peers}`));
    for (let i = 0; i < 8; i++) expect((await get(zoned)).status).toBe(200);
    const shared = await status(zoned);
    expect(shared.upstreams[0].peers[0]).toMatchObject({ address: '127.0.0.1:9', requests: 1, state: 'failing' });
    expect(shared.upstreams[0].peers[0].reason).toBe('failing (max_fails) (in 2 of 2 workers)');

    const separate = await balancer(config(peers));
    for (let i = 0; i < 8; i++) expect((await get(separate)).status).toBe(200);
    expect((await status(separate)).upstreams[0].peers[0]).toMatchObject({ requests: 2, state: 'failing' });
  }, 90_000);

  it('with a zone, one worker runs the active health checks and every worker takes their verdict', async () => {
    const [a, b] = [await upstream('a'), await upstream('b')];
    const lb = await balancer(
      config(`zone api 64k; server ${a.address}; server ${b.address}; health_check interval=200ms fails=1 passes=1 uri=/health/ready;`),
    );
    b.healthy = false;
    await eventually(
      async () => (await status(lb)).upstreams[0].peers[1].reason === 'failed health check (in 2 of 2 workers)',
      20_000,
      'b out in both workers',
    );
    for (let i = 0; i < 6; i++) expect(JSON.parse((await get(lb)).body).upstream).toBe('a');
    b.healthy = true;
    await eventually(async () => (await status(lb)).upstreams[0].peers[1].state === 'up', 20_000, 'b back in both workers');
  }, 90_000);
});
