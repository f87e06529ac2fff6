import { parseAlgorithm } from './admin-server';
import { renderStatusPage } from './status-page';
import type { BalancerStatus } from './status';

describe('PUT /upstreams/NAME/algorithm body', () => {
  it('reads {"algorithm": ...} in directive syntax', () => {
    expect(parseAlgorithm({ algorithm: 'least_conn' })).toEqual({ name: 'least_conn', args: [] });
    expect(parseAlgorithm({ algorithm: 'hash $request_uri consistent;\n' })).toEqual({
      name: 'hash',
      args: ['$request_uri', 'consistent'],
    });
    expect(parseAlgorithm({ algorithm: 'random two' })).toEqual({ name: 'random', args: ['two'] });
    expect(parseAlgorithm({ algorithm: ' ' })).toMatch(/empty algorithm/);
    expect(parseAlgorithm({ algo: 1 })).toMatch(/needs \{"algorithm": "least_conn"\}/);
    expect(parseAlgorithm('least_conn')).toMatch(/needs \{"algorithm"/);
    expect(parseAlgorithm([{ algorithm: 'least_conn' }])).toMatch(/needs \{"algorithm"/);
    expect(parseAlgorithm({ algorithm: 'least_conn; ip_hash;' })).toMatch(/exactly one/);
  });
});

describe('status page', () => {
  it('renders peers with their state and escapes what it shows', () => {
    const status = {
      service: 'tenk-balancer',
      pid: 1,
      node: 'v20',
      startedAt: '',
      uptimeSeconds: 65,
      draining: false,
      config: { file: 'tenk.conf', files: [], loadedAt: 'now', reloads: 0, reloadFailures: 0, lastReloadError: '' },
      listeners: [{ address: '0.0.0.0:8080', servers: [] }],
      admin: '127.0.0.1:8081',
      requests: {
        total: 10,
        active: 1,
        responses: { '1xx': 0, '2xx': 9, '3xx': 0, '4xx': 0, '5xx': 1 },
        rateLimited: 0,
        rateDelayed: 0,
        bodyTooLarge: 0,
        badRequests: 0,
        clientAborts: 0,
        noLivePeers: 0,
        atCapacity: 0,
        upstreamErrors: 0,
        upstreamTimeouts: 0,
        retries: 0,
      },
      connections: { open: 1, total: 1, websocketsActive: 0, websocketsTotal: 0 },
      upstreams: [
        {
          name: '<api>',
          algorithm: 'least_conn',
          algorithmName: 'least_conn',
          declaredAt: 't:1',
          keepalive: 8,
          healthCheck: null,
          available: true,
          noLivePeers: 0,
          retries: 0,
          recoveries: 0,
          failOnReadTimeout: false,
          admission: {
            inFlight: 1,
            limit: 64,
            queue: {
              size: 100,
              timeoutMs: 2000,
              waiting: 3,
              joined: 9,
              admitted: 6,
              full: 0,
              tooLong: 2,
              timedOut: 0,
              abandoned: 0,
              meanWaitMs: 12.5,
            },
            refusedAtCapacity: 0,
            adaptive: { targetMs: 100, min: 2, decreases: 3, increases: 5, peers: [{ address: '127.0.0.1:3001', limit: 12, ceiling: 64 }] },
          },
          peers: [
            {
              address: '127.0.0.1:3001',
              backup: false,
              state: 'up',
              reason: null,
              weight: 1,
              effectiveWeight: 1,
              maxFails: 1,
              failTimeoutMs: 10000,
              maxConns: 0,
              activeRequests: 1,
              requests: 5,
              failures: 0,
              consecutiveFails: 0,
              ejections: 0,
              busyAnswers: 0,
              readTimeouts: 0,
              responses: { '1xx': 0, '2xx': 5, '3xx': 0, '4xx': 0, '5xx': 0 },
              bytesSent: 1,
              latencyMs: { p50: 1.5, p90: 2, p99: 3, samples: 5 },
              health: null,
            },
            {
              address: '127.0.0.1:3002',
              backup: false,
              state: 'failing',
              reason: 'failing (max_fails)',
              weight: 1,
              effectiveWeight: 0,
              maxFails: 1,
              failTimeoutMs: 10000,
              maxConns: 0,
              activeRequests: 0,
              requests: 5,
              failures: 1,
              consecutiveFails: 1,
              ejections: 1,
              busyAnswers: 0,
              readTimeouts: 0,
              responses: { '1xx': 0, '2xx': 4, '3xx': 0, '4xx': 0, '5xx': 1 },
              bytesSent: 1,
              latencyMs: { p50: null, p90: null, p99: null, samples: 0 },
              health: null,
            },
          ],
        },
      ],
      zones: [],
      memory: { rssBytes: 1, heapUsedBytes: 1 },
    } satisfies BalancerStatus;
    const html = renderStatusPage(status);
    expect(html).toContain('upstream &lt;api&gt;');
    expect(html).toContain('<tr class="up"><td class="l">127.0.0.1:3001');
    expect(html).toContain('<tr class="failing"><td class="l">127.0.0.1:3002');
    expect(html).toContain('failing (max_fails)');
    expect(html).not.toContain('<api>');
    expect(html).toContain('in flight 1 / 64 (max_conns)');
    expect(html).toContain('queued 3 / 100 (timeout 2000 ms)');
    expect(html).toContain('adaptive limit (target 100 ms): 127.0.0.1:3001 12/64');
  });
});
