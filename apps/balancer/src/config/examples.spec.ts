import os from 'node:os';
import path from 'node:path';
import { loadConfig } from './load-config';

/** conf/examples/nginx-directives.conf: issue 20's directives and variables, as `npm run balancer -- -t` reads them. */
describe('conf/examples/nginx-directives.conf', () => {
  const file = path.join(__dirname, '../../conf/examples/nginx-directives.conf');
  const config = loadConfig(file, { env: {} });
  const [server] = config.servers;
  const byLabel = (label: string) => {
    const found = server.locations.find((location) => location.label === label);
    if (!found) throw new Error(`no ${label}`);
    return found;
  };

  it('loads, with nginx meanings for each directive', () => {
    const root = byLabel('location /');
    expect(root.ifs.map((i) => i.op)).toEqual(['set', '=', '~']);
    expect(root.settings).toMatchObject({
      limitReqStatus: 429,
      proxyInterceptErrors: true,
      errorPages: [{ codes: [500], status: 'target', target: '@spare' }],
      setRealIpFrom: ['10.0.0.0/8', 'fd00::/8'],
      realIpHeader: 'X-Forwarded-For',
      realIpRecursive: true,
      keepaliveTimeMs: 3_600_000,
    });
    expect(root.settings.accessLog.format).toMatchObject({ name: 'upstreams', escape: 'json' });
    expect(byLabel('location = /50x.html').settings.errorPages[0]).toEqual({ codes: [502, 503, 504], status: null, target: '/50x.html' });
    expect(byLabel('location @spare').match).toEqual({ kind: 'named', path: '@spare' });
    expect(byLabel('location /preview/').handler).toMatchObject({ hostTemplate: '$http_x_colour' });
    expect(byLabel('location ~ ^/v2/(\\w+)$').handler).toMatchObject({ upstream: 'green', uriTemplate: '/api/$1$is_args$args' });
    const api = config.upstreams.find((upstream) => upstream.name === 'api');
    expect(api?.servers.map((peer) => peer.id)).toEqual(['127.0.0.1:3001', '127.0.0.1:3002', '127.0.0.1:3002#2']);
    expect(api?.keepaliveTimeMs).toBe(600_000);
    expect(api?.zone).toMatchObject({ name: 'api', sizeBytes: 64 * 1024 });
    expect(config).toMatchObject({ workerProcesses: os.availableParallelism(), acceptMutex: false });
  });
});
