import { buildConfig } from '../config/build-config';
import { parseConfigText } from '../config/parser';
import { LogSink } from '../observability/log-sink';
import { Logger } from '../observability/logger';
import { Generation } from './generation';
import { upstreamPath } from './public-listener';

function generation(text: string): Generation {
  const config = buildConfig({ file: 't.conf', files: ['t.conf'], directives: parseConfigText(text, 't.conf') }, { prefix: '/srv' });
  return new Generation(config, null, new Logger(new LogSink({ kind: 'off' }), 'info', true));
}

describe('server selection by Host', () => {
  const g = generation(`
    access_log off; admin_listen off;
    server { listen 80; server_name shop.example www.shop.example; location / { return 200 shop; } }
    server { listen 80 default_server; server_name _; location / { return 200 default; } }
    server { listen 80; server_name *.api.example; location / { return 200 api; } }
    server { listen 80; server_name .static.example; location / { return 200 static; } }
    server { listen 81; location / { return 200 other-port; } }
  `);
  afterAll(() => g.retire(null));
  const route = g.routes.get('0.0.0.0:80')!;
  const pick = (host: string) => route.serverFor(host).locations[0].config.handler;

  it('picks exact names, wildcards, then the default_server', () => {
    expect(pick('shop.example')).toMatchObject({ text: 'shop' });
    expect(pick('www.shop.example')).toMatchObject({ text: 'shop' });
    expect(pick('v1.api.example')).toMatchObject({ text: 'api' });
    expect(pick('static.example')).toMatchObject({ text: 'static' });
    expect(pick('img.static.example')).toMatchObject({ text: 'static' });
    expect(pick('unknown.example')).toMatchObject({ text: 'default' });
    expect(g.routes.get('0.0.0.0:81')!.single).not.toBeNull();
  });
});

describe('upstreamPath (proxy_pass with a URI part)', () => {
  const g = generation(`
    access_log off; admin_listen off;
    upstream api { server 10.0.0.1:80; }
    server { listen 80;
      location / { proxy_pass http://api; }
      location /v1/ { proxy_pass http://api/internal/; }
      location = /health { proxy_pass http://api/health/ready; }
    }
  `);
  afterAll(() => g.retire(null));
  const locations = g.routes.get('0.0.0.0:80')!.single!.locations;

  it('passes the request target unchanged without a URI part', () => {
    expect(upstreamPath(locations[0], '/a%20b?x=1', '/a%20b', '/a b', '?x=1')).toBe('/a%20b?x=1');
  });

  it('replaces the matched prefix with the URI part', () => {
    expect(upstreamPath(locations[1], '/v1/orders/7?x=1', '/v1/orders/7', '/v1/orders/7', '?x=1')).toBe('/internal/orders/7?x=1');
    expect(upstreamPath(locations[2], '/health', '/health', '/health', '')).toBe('/health/ready');
    // The normalized path is what gets its prefix replaced (as nginx), escaped again.
    expect(upstreamPath(locations[1], '/v1//x', '/v1//x', '/v1/x', '')).toBe('/internal/x');
    expect(upstreamPath(locations[1], '/v1/a%3Fb%20c/caf%C3%A9', '/v1/a%3Fb%20c/caf%C3%A9', '/v1/a?b c/café', '')).toBe(
      '/internal/a%3Fb%20c/caf%C3%A9',
    );
  });
});
