import { writeFileSync } from 'node:fs';
import { controlRequest, HOSTILE_CONTROL_CALLS, type ControlCall } from '@tenk/control-plane';
import { Balancer } from '../balancer';
import { loadConfig } from '../config/load-config';
import { LogSink } from '../observability/log-sink';
import { Logger } from '../observability/logger';
import { startBalancer, type RunningBalancer } from '../testing/harness';

const config = (peer: string) => `admin_listen 127.0.0.1:0;
access_log off;
upstream api { server ${peer}; }
server { listen 127.0.0.1:0; location / { proxy_pass http://api; } }
`;

describe("the balancer's admin API, against calls any web page can make", () => {
  let lb: RunningBalancer;

  beforeEach(async () => {
    lb = await startBalancer(config('127.0.0.1:9'));
  });
  afterEach(() => lb.close());

  const algorithm = () => lb.balancer.generation.upstreams.get('api')?.balancer.description;
  const switchAlgorithm = (): ControlCall => ({
    method: 'PUT',
    url: `${lb.adminUrl}/upstreams/api/algorithm`,
    token: lb.controlToken,
    body: '{"algorithm": "least_conn"}',
  });
  const reload = (): ControlCall => ({ method: 'POST', url: `${lb.adminUrl}/reload`, token: lb.controlToken, body: '{}' });

  it.each(HOSTILE_CONTROL_CALLS)('refuses $name to switch the algorithm', async (hostile) => {
    const answer = await controlRequest(hostile.from(switchAlgorithm()));
    expect(answer.status).toBe(hostile.status);
    expect(answer.body).toMatch(hostile.message);
    expect(algorithm()).toBe('round_robin');
  });

  it.each(HOSTILE_CONTROL_CALLS)('refuses $name to reload', async (hostile) => {
    writeFileSync(lb.file, config('127.0.0.1:10'));
    const answer = await controlRequest(hostile.from(reload()));
    expect(answer.status).toBe(hostile.status);
    expect(answer.body).toMatch(hostile.message);
    expect(lb.balancer.stats.reloads).toBe(0);
  });

  it('switches and reloads when the call is right', async () => {
    const switched = await controlRequest(switchAlgorithm());
    expect(switched.status).toBe(200);
    expect(algorithm()).toBe('least_conn');
    writeFileSync(lb.file, config('127.0.0.1:10'));
    expect((await controlRequest(reload())).status).toBe(200);
    expect(lb.balancer.stats.reloads).toBe(1);
  });

  it('refuses a directive-syntax body now that the API takes JSON only', async () => {
    const answer = await controlRequest({ ...switchAlgorithm(), contentType: 'text/plain', body: 'least_conn' });
    expect(answer.status).toBe(415);
    expect(algorithm()).toBe('round_robin');
    expect((await controlRequest({ ...reload(), body: '' })).body).toBe(
      'the body is empty: send a JSON object ({} when there is nothing to say)\n',
    );
  });

  it('serves its status, page and metrics on loopback without the token, never under a foreign Host', async () => {
    for (const path of ['/status', '/', '/metrics', '/health']) {
      expect((await controlRequest({ method: 'GET', url: `${lb.adminUrl}${path}`, contentType: null })).status).toBe(200);
      expect(
        (
          await controlRequest({
            method: 'GET',
            url: `${lb.adminUrl}${path}`,
            contentType: null,
            host: `evil.example:${new URL(lb.adminUrl).port}`,
          })
        ).status,
      ).toBe(403);
    }
    const page = await controlRequest({ method: 'GET', url: `${lb.adminUrl}/`, contentType: null });
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.body).toContain('sessionStorage.setItem(KEY, fromUrl)');
  });

  it('takes no state change at all when started without a token', async () => {
    const locked = await Balancer.start(loadConfig(lb.file, { env: {} }), {
      logger: new Logger(new LogSink({ kind: 'off' }), 'info', true),
    });
    try {
      const answer = await controlRequest({ ...switchAlgorithm(), url: `http://127.0.0.1:${locked.adminPort}/upstreams/api/algorithm` });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatch(/started without a control token/);
    } finally {
      await locked.close();
    }
  });
});
