import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PORTS } from '@tenk/config';
import { buildConfig } from './build-config';
import { loadConfig, applyPortOverrides } from './load-config';
import { parseConfigText } from './parser';
import type { BalancerConfig } from './schema';

function build(text: string): BalancerConfig {
  return buildConfig({ file: 't.conf', files: ['t.conf'], directives: parseConfigText(text, 't.conf') }, { prefix: '/srv/tenk' });
}

/** A minimal valid config with `extra` spliced in at the places named. */
function withParts(parts: { http?: string; upstream?: string; server?: string; location?: string }): string {
  return `${parts.http ?? ''}
upstream api {
  server 127.0.0.1:3001;
  ${parts.upstream ?? ''}
}
server {
  listen 8080;
  ${parts.server ?? ''}
  location / {
    proxy_pass http://api;
    ${parts.location ?? ''}
  }
}
`;
}

describe('buildConfig: a valid configuration', () => {
  it('fills nginx defaults and merges http -> server -> location settings', () => {
    const config = build(`
      client_max_body_size 2m;
      proxy_read_timeout 30s;
      add_header X-A a;
      upstream api { server 127.0.0.1:3001; server 127.0.0.1:3002 weight=3 max_fails=2 fail_timeout=5s max_conns=10; server 127.0.0.1:3003 backup; keepalive 16; }
      server {
        listen 127.0.0.1:8080;
        proxy_read_timeout 20s;
        location / { proxy_pass http://api; }
        location /upload { client_max_body_size 1g; add_header X-B b; proxy_pass http://api/v2/; }
      }
    `);
    const [root, upload] = config.servers[0].locations;
    expect(root.settings.clientMaxBodySize).toBe(2 * 1024 * 1024);
    expect(root.settings.proxyReadTimeoutMs).toBe(20_000);
    expect(root.settings.proxyConnectTimeoutMs).toBe(60_000);
    expect(root.settings.addHeaders.map((h) => h.name)).toEqual(['X-A']);
    // An array directive at a level replaces the inherited list, as in nginx.
    expect(upload.settings.addHeaders.map((h) => h.name)).toEqual(['X-B']);
    expect(upload.settings.clientMaxBodySize).toBe(1024 ** 3);
    expect(upload.handler).toEqual({ kind: 'proxy', upstream: 'api', uri: '/v2/', text: 'http://api/v2/' });
    const api = config.upstreams[0];
    expect(api.method.name).toBe('round_robin');
    expect(api.keepalive).toBe(16);
    expect(api.servers[1]).toMatchObject({ weight: 3, maxFails: 2, failTimeoutMs: 5000, maxConns: 10 });
    expect(api.servers[2].backup).toBe(true);
    expect(config.admin).toMatchObject({ host: '127.0.0.1', port: 8081 });
    expect(config.servers[0].listens[0]).toMatchObject({ host: '127.0.0.1', port: 8080 });
  });

  it('accepts the nginx layout with events { } and http { }', () => {
    const config = build(
      'worker_processes 1;\nevents { worker_connections 512; }\nhttp { upstream u { server a.example:80; } server { listen 80; location / { proxy_pass http://u; } } }',
    );
    expect(config.workerConnections).toBe(512);
    expect(config.upstreams[0].servers[0]).toMatchObject({ host: 'a.example', port: 80 });
  });

  it('reads worker_processes N | auto (one per core), accept_mutex and zone NAME [SIZE]', () => {
    expect(build(withParts({})).workerProcesses).toBe(1);
    expect(build(withParts({})).acceptMutex).toBe(false);
    expect(build(`worker_processes 4;\nevents { accept_mutex on; }\n${withParts({})}`)).toMatchObject({
      workerProcesses: 4,
      acceptMutex: true,
    });
    expect(build(`worker_processes auto;\n${withParts({})}`).workerProcesses).toBe(os.availableParallelism());
    const zoned = build(`${withParts({ upstream: 'zone backend 64k;' })}\nupstream b { zone backend; server 127.0.0.1:3009; }`);
    expect(zoned.upstreams.map((u) => u.zone)).toEqual([
      { name: 'backend', sizeBytes: 64 * 1024, file: 't.conf', line: 4 },
      { name: 'backend', sizeBytes: 64 * 1024, file: 't.conf', line: 15 },
    ]);
    expect(build(withParts({ upstream: 'zone backend;' })).upstreams[0].zone?.sizeBytes).toBeNull();
    expect(build(withParts({})).upstreams[0].zone).toBeNull();
  });

  it('reads admission control: max_conns, queue N timeout=T (60 s by default, as NGINX Plus), fail_on_read_timeout', () => {
    const config = build(withParts({ upstream: 'server 127.0.0.1:3002 max_conns=8; queue 50 timeout=1500ms; fail_on_read_timeout on;' }));
    const api = config.upstreams[0];
    expect(api.servers.map((s) => s.maxConns)).toEqual([0, 8]);
    expect(api.queue).toMatchObject({ size: 50, timeoutMs: 1500 });
    expect(api.failOnReadTimeout).toBe(true);
    const defaults = build(withParts({ upstream: 'server 127.0.0.1:3002 max_conns=8; queue 5;' })).upstreams[0];
    expect(defaults.queue?.timeoutMs).toBe(60_000);
    expect(defaults.failOnReadTimeout).toBe(false);
    expect(build(withParts({})).upstreams[0].queue).toBeNull();
    expect(build(withParts({})).upstreams[0].adaptive).toBeNull();
    const adaptive = build(withParts({ upstream: 'server 127.0.0.1:3002 max_conns=8; adaptive_concurrency target=80ms min=3;' }));
    expect(adaptive.upstreams[0].adaptive).toMatchObject({ targetMs: 80, min: 3 });
    const off = build(withParts({ upstream: 'server 127.0.0.1:3002 max_conns=8; adaptive_concurrency off;' }));
    expect(off.upstreams[0].adaptive).toBeNull();
  });

  it('makes a one-peer upstream for proxy_pass http://HOST:PORT', () => {
    const config = build('server { listen 80; location / { proxy_pass http://127.0.0.1:9000; } }');
    expect(config.upstreams).toEqual([
      expect.objectContaining({
        name: '127.0.0.1:9000',
        implicit: true,
        servers: [expect.objectContaining({ host: '127.0.0.1', port: 9000 })],
      }),
    ]);
  });

  it('reads every balancing method', () => {
    const method = (directive: string) => build(withParts({ upstream: directive })).upstreams[0].method;
    expect(method('least_conn;')).toMatchObject({ name: 'least_conn', args: [] });
    expect(method('ip_hash;')).toMatchObject({ name: 'ip_hash' });
    expect(method('hash $request_uri consistent;')).toMatchObject({ name: 'hash', args: ['$request_uri', 'consistent'] });
    expect(method('random two least_conn;')).toMatchObject({ name: 'random', args: ['two', 'least_conn'] });
  });

  it('resolves root/alias against the prefix and reads static settings', () => {
    const config = build(`server { listen 80;
      location / { root dist/apps/storefront; try_files $uri /index.html; expires max; add_header Cache-Control "public, max-age=31536000, immutable"; }
      location /media/ { alias /var/media/; index start.html; etag off; types { video/mp4 mp4v; } }
    }`);
    const [site, media] = config.servers[0].locations;
    expect(site.handler.kind).toBe('static');
    expect(site.settings.root).toBe(path.resolve('/srv/tenk', 'dist/apps/storefront'));
    expect(site.settings.tryFiles).toEqual({ files: ['$uri'], fallback: { uri: '/index.html' } });
    expect(site.settings.expires).toEqual({ kind: 'max' });
    expect(media.settings.alias).toBe('/var/media');
    expect(media.settings.root).toBeNull();
    expect(media.settings).toMatchObject({ index: ['start.html'], etag: false, types: { mp4v: 'video/mp4' } });
  });

  it('ships tenk.conf on the ports libs/config defines (DEFAULT_PORTS)', () => {
    const config = loadConfig(path.join(__dirname, '../../conf/tenk.conf'), { env: {} });
    expect(config.servers[0].listens.map((l) => l.port)).toEqual([DEFAULT_PORTS.balancer]);
    expect(config.admin?.port).toBe(DEFAULT_PORTS.balancerAdmin);
    const api = config.upstreams.find((u) => u.name === 'api');
    expect(api?.servers.map((s) => s.port)).toEqual([DEFAULT_PORTS.api, DEFAULT_PORTS.api + 1]);
    expect(api?.healthCheck?.uri).toBe('/health/ready');
  });
});

describe('buildConfig: every error names file:line, the directive and what is wrong', () => {
  it.each([
    ['upstream api { server a:1; }', /^t\.conf:1: no "server" block/],
    ['server { listen 80; location / { server { } } }', /t\.conf:1: "server" is not allowed here/],
    ['use epoll;\nserver { listen 80; location / { return 200; } }', /t\.conf:1: "use" is not allowed in the top level/],
    [withParts({ server: 'ssl_certificate x.pem;' }), /t\.conf:8: "ssl_certificate" is not supported: TLS is not supported/],
    [withParts({ location: 'proxy_pas http://api;' }), /t\.conf:11: "proxy_pas" unknown directive \(did you mean "proxy_pass"\?\)/],
    [
      withParts({ upstream: 'proxy_pass http://x;' }),
      /t\.conf:4: "proxy_pass" is not allowed in upstream \{ \} \(it belongs in location \{ \}\)/,
    ],
    [withParts({ server: 'listen;' }), /t\.conf:8: "listen" takes at least 1 arguments, got 0/],
    [withParts({ upstream: 'keepalive 1 2;' }), /t\.conf:4: "keepalive" takes 1 argument, got 2/],
    [withParts({ upstream: 'queue 100 timeout=2s;' }), /t\.conf:4: "queue" upstream "api" has a queue but no server with max_conns=N/],
    [
      withParts({ upstream: 'server 127.0.0.1:3002 max_conns=8; queue 0;' }),
      /t\.conf:4: "queue" "0" must be a whole number greater than 0/,
    ],
    [withParts({ upstream: 'server 127.0.0.1:3002 max_conns=8; queue 10 wait=2s;' }), /t\.conf:4: "queue" unknown parameter "wait=2s"/],
    [
      withParts({ upstream: 'adaptive_concurrency target=100ms;' }),
      /t\.conf:4: "adaptive_concurrency" upstream "api" has adaptive_concurrency but no server with max_conns=N/,
    ],
    [withParts({ upstream: 'server 127.0.0.1:3002 max_conns=8; adaptive_concurrency min=2;' }), /"adaptive_concurrency" needs target=T/],
    [
      withParts({ upstream: 'server 127.0.0.1:3002 max_conns=8; adaptive_concurrency target=1s max=4;' }),
      /"adaptive_concurrency" unknown parameter "max=4"/,
    ],
    [withParts({ upstream: 'fail_on_read_timeout maybe;' }), /t\.conf:4: "fail_on_read_timeout" "maybe" must be on or off/],
    ['upstream api;', /t\.conf:1: "upstream" needs a block/],
    [withParts({ server: 'server_name a { }' }), /t\.conf:8: "server_name" takes no block/],
    ['http { }\nhttp { }', /t\.conf:2: "http" is duplicate/],
    ['worker_processes 0;', /t\.conf:1: "worker_processes" "0" must be a whole number greater than 0, or auto/],
    ['worker_processes -1;', /t\.conf:1: "worker_processes" "-1" must be a whole number greater than 0, or auto/],
    ['worker_processes abc;', /t\.conf:1: "worker_processes" "abc" must be a whole number greater than 0, or auto/],
    ['worker_processes 2.5;', /t\.conf:1: "worker_processes" "2\.5" must be a whole number/],
    ['worker_processes 100000;', /t\.conf:1: "worker_processes" "100000" is more than 256 workers/],
    ['worker_processes 2;\nworker_processes 3;', /t\.conf:2: "worker_processes" is duplicate/],
    ['worker_processes;', /t\.conf:1: "worker_processes"/],
    ['events { accept_mutex maybe; }', /t\.conf:1: "accept_mutex" "maybe" must be on or off/],
    [withParts({ upstream: 'zone backend 64q;' }), /t\.conf:4: "zone" invalid zone size "64q"/],
    [withParts({ upstream: 'zone backend -1;' }), /t\.conf:4: "zone" invalid zone size "-1"/],
    [withParts({ upstream: 'zone backend 4k;' }), /t\.conf:4: "zone" zone "backend" is too small: 4k \(at least 32k/],
    [withParts({ upstream: 'zone a/b 64k;' }), /t\.conf:4: "zone" "a\/b" is not a zone name/],
    [withParts({ upstream: 'zone backend 64k; zone other 64k;' }), /t\.conf:4: "zone" is duplicate/],
    [withParts({ upstream: 'zone backend 64k 1m;' }), /t\.conf:4: "zone"/],
    [
      `${withParts({ upstream: 'zone shared 64k;' })}\nupstream b { zone shared 1m; server 127.0.0.1:3009; }`,
      /t\.conf:15: "zone" the size 1m of zone "shared" conflicts with the size declared at t\.conf:4/,
    ],
    [
      withParts({ http: 'limit_req_zone $binary_remote_addr zone=one:1m rate=1r/s;', upstream: 'zone one 64k;' }),
      /t\.conf:4: "zone" zone "one" is already declared by limit_req_zone/,
    ],
    [
      `upstream b { zone one 64k; server 127.0.0.1:3009; }\n${withParts({ http: 'limit_req_zone $binary_remote_addr zone=one:1m rate=1r/s;' })}`,
      /t\.conf:2: "limit_req_zone" zone "one" is already declared by upstream "b" at t\.conf:1/,
    ],
    ['daemon on;', /t\.conf:1: "daemon" tenk always runs in the foreground/],
    ['error_log stderr loud;', /t\.conf:1: "error_log" unknown level "loud"/],
    ['admin_listen 9000;\nadmin_listen 9001;', /t\.conf:2: "admin_listen" is duplicate/],
    ['server x { listen 80; }', /t\.conf:1: "server" takes no arguments in http/],
    ['server { location / { return 200; } }', /t\.conf:1: "server" has no "listen" directive/],
    [withParts({ server: 'listen 127.0.0.1:99999;' }), /t\.conf:8: "listen" "127\.0\.0\.1:99999" is not an address/],
    [withParts({ server: 'listen 8443 ssl;' }), /t\.conf:8: "listen" "ssl" is not supported/],
    [withParts({ server: 'listen 9000 reuseport;' }), /t\.conf:8: "listen" unknown parameter "reuseport"/],
    [withParts({ server: 'location / { return 204; }' }), /t\.conf:9: "location" "location \/" is duplicate \(first at t\.conf:8\)/],
    [withParts({ location: 'location /x { }' }), /t\.conf:11: "location" nested locations are not supported/],
    [withParts({ server: 'location @api { }' }), /t\.conf:8: "location" "location @api" has nothing to serve/],
    [withParts({ server: 'location ~ { }' }), /t\.conf:8: "location" "~" needs a path after it/],
    [withParts({ server: 'location ! /x { }' }), /t\.conf:8: "location" unknown modifier "!"/],
    [withParts({ server: 'location ~ "(" { return 200; }' }), /t\.conf:8: "location" "\(" is not a valid regular expression/],
    [withParts({ location: 'proxy_pass http://api;' }), /t\.conf:11: "proxy_pass" is duplicate/],
    [
      withParts({ server: 'location /v { proxy_pass https://api; }' }),
      /t\.conf:8: "proxy_pass" "https:\/\/api": TLS to upstreams is not supported/,
    ],
    [withParts({ server: 'location /v { proxy_pass api; }' }), /t\.conf:8: "proxy_pass" "api" is not an upstream/],
    [
      withParts({ server: 'location ~ ^/v { proxy_pass http://api/x; }' }),
      /t\.conf:8: "proxy_pass" cannot have a URI part in a regex location/,
    ],
    [withParts({ server: 'location /r { return 200; return 201; }' }), /t\.conf:8: "return" is duplicate/],
    [withParts({ server: 'return 301 https://a; return 302 https://b;' }), /t\.conf:8: "return" is duplicate/],
    [withParts({ server: 'location /r { return abc; }' }), /t\.conf:8: "return" "abc" is not a status code/],
    [withParts({ server: 'location /a/ { alias /x/; alias /y/; }' }), /t\.conf:8: "alias" is duplicate/],
    [withParts({ server: 'location ~ /a { alias /x/; }' }), /t\.conf:8: "alias" in a regex location is not supported/],
    [withParts({ server: 'location /a/ { root /x; alias /y/; }' }), /t\.conf:8: "alias" cannot be used together with "root"/],
    [withParts({ server: 'location /a/ { alias /y/; root /x; }' }), /t\.conf:8: "root" cannot be used together with "alias"/],
    [withParts({ location: 'health_check; health_check;' }), /t\.conf:11: "health_check" is duplicate/],
    [withParts({ upstream: 'health_check interval=10ms;' }), /t\.conf:4: "health_check" interval must be at least 100ms/],
    [withParts({ upstream: 'health_check every=5s;' }), /t\.conf:4: "health_check" unknown parameter "every=5s"/],
    [withParts({ upstream: 'health_check match=ok;' }), /t\.conf:4: "health_check" match= blocks are not supported/],
    [withParts({ upstream: 'health_check uri=health;' }), /t\.conf:4: "health_check" uri must start with "\/"/],
    [withParts({ upstream: 'health_check port=70000;' }), /t\.conf:4: "health_check" port=70000 is not a port/],
    [withParts({ upstream: 'health_check fails=0;' }), /t\.conf:4: "health_check" fails="0" must be a whole number greater than 0/],
    [withParts({ upstream: 'health_check interval=soon;' }), /t\.conf:4: "health_check" interval="soon" is not a time/],
    [withParts({ http: 'upstream api { server a:1; }' }), /t\.conf:2: "upstream" upstream "api" is duplicate \(first at t\.conf:1\)/],
    [
      'upstream api { least_conn; }\nserver { listen 80; location / { proxy_pass http://api; } }',
      /t\.conf:1: "upstream" upstream "api" has no servers/,
    ],
    [
      'upstream api { hash $request_uri; server a:1; server b:1 backup; }\nserver { listen 80; location / { proxy_pass http://api; } }',
      /t\.conf:1: "server" "backup" cannot be used with hash in upstream "api"/,
    ],
    [
      'upstream api { server b:1 backup; }\nserver { listen 80; location / { proxy_pass http://api; } }',
      /t\.conf:1: "upstream" upstream "api" has only backup servers/,
    ],
    [withParts({ upstream: 'server a:2 { }' }), /t\.conf:4: "server" in upstream \{ \} is a peer and takes no block/],
    [withParts({ upstream: 'server;' }), /t\.conf:4: "server" needs an address/],
    [
      withParts({ upstream: 'server unix:/tmp/api.sock;' }),
      /t\.conf:4: "server" "unix:\/tmp\/api\.sock" is not a HOST:PORT address \(unix sockets are not supported\)/,
    ],
    [withParts({ upstream: 'server a!b:1;' }), /t\.conf:4: "server" "a!b:1" is not a HOST:PORT address/],
    [withParts({ upstream: 'server a:2 weight=0;' }), /t\.conf:4: "server" weight="0" must be a whole number greater than 0/],
    [withParts({ upstream: 'server a:2 wieght=2;' }), /t\.conf:4: "server" unknown parameter "wieght=2"/],
    [withParts({ upstream: 'server a:2 slow_start=30s;' }), /t\.conf:4: "server" "slow_start" is an NGINX Plus parameter/],
    [
      withParts({ upstream: 'least_conn; ip_hash;' }),
      /t\.conf:4: "ip_hash" upstream "api" already balances with "least_conn" \(line 4\): choose one/,
    ],
    [withParts({ upstream: 'least_conn now;' }), /t\.conf:4: "least_conn" takes at most 0 arguments, got 1/],
    [withParts({ upstream: 'hash;' }), /t\.conf:4: "hash" needs a key/],
    [withParts({ upstream: 'random three;' }), /t\.conf:4: "random" unknown parameter "three"/],
    [withParts({ upstream: 'keepalive 8; keepalive 9;' }), /t\.conf:4: "keepalive" is duplicate/],
    [withParts({ upstream: 'keepalive 0;' }), /t\.conf:4: "keepalive" "0" must be a whole number greater than 0/],
    [
      withParts({ http: 'limit_req_zone $binary_remote_addr zone=one rate=1r/s;' }),
      /t\.conf:1: "limit_req_zone" zone=one must be NAME:SIZE/,
    ],
    [
      withParts({ http: 'limit_req_zone $binary_remote_addr zone=one:1m rate=fast;' }),
      /t\.conf:1: "limit_req_zone" rate=fast must be like 10r\/s/,
    ],
    [
      withParts({ http: 'limit_req_zone $binary_remote_addr zone=one:1m rate=1r/s sync;' }),
      /t\.conf:1: "limit_req_zone" "sync" is an NGINX Plus parameter/,
    ],
    [
      withParts({ http: 'limit_req_zone $binary_remote_addr zone=one:1m rate=1r/s nodelay;' }),
      /t\.conf:1: "limit_req_zone" unknown parameter "nodelay"/,
    ],
    [withParts({ http: 'limit_req_zone $binary_remote_addr rate=1r/s key=x;' }), /t\.conf:1: "limit_req_zone" unknown parameter "key=x"/],
    [withParts({ http: 'limit_req_zone $binary_remote_addr zone=one:1m rate=1r/s x=1;' }), /unknown parameter "x=1"/],
    [
      withParts({
        http: 'limit_req_zone $binary_remote_addr rate=1r/s zone=a:1m zone=b:1m;\nlimit_req_zone $remote_addr zone=b:1m rate=1r/s;',
      }),
      /t\.conf:2: "limit_req_zone" zone "b" is duplicate/,
    ],
    [withParts({ http: 'limit_req_zone $binary_remote_addr zone=one:1m x;' }), /unknown parameter "x"/],
    [withParts({ http: 'limit_req_zone $nope zone=one:1m rate=1r/s;' }), /t\.conf:1: "limit_req_zone" unknown variable "\$nope"/],
    [withParts({ location: 'client_max_body_size 1m; client_max_body_size 2m;' }), /t\.conf:11: "client_max_body_size" is duplicate/],
    [withParts({ location: 'client_max_body_size lots;' }), /t\.conf:11: "client_max_body_size" "lots" is not a size/],
    [withParts({ location: 'proxy_read_timeout forever;' }), /t\.conf:11: "proxy_read_timeout" "forever" is not a time/],
    [withParts({ location: 'proxy_read_timeout 0;' }), /t\.conf:11: "proxy_read_timeout" must be greater than 0/],
    [withParts({ location: 'proxy_next_upstream error http_418;' }), /t\.conf:11: "proxy_next_upstream" unknown value "http_418"/],
    [withParts({ location: 'proxy_next_upstream error off;' }), /t\.conf:11: "proxy_next_upstream" "off" cannot be combined/],
    [
      withParts({ location: 'proxy_set_header X-A 1; proxy_set_header x-a 2;' }),
      /t\.conf:11: "proxy_set_header" "x-a" is already set at this level/,
    ],
    [withParts({ location: 'proxy_set_header "X A" 1;' }), /t\.conf:11: "proxy_set_header" "X A" is not a valid header name/],
    [withParts({ location: 'proxy_set_header X-A $nope;' }), /t\.conf:11: "proxy_set_header" unknown variable "\$nope"/],
    [withParts({ location: 'add_header X-A 1 sometimes;' }), /t\.conf:11: "add_header" unknown parameter "sometimes"/],
    [withParts({ location: 'limit_req burst=5;' }), /t\.conf:11: "limit_req" needs zone=NAME/],
    [withParts({ location: 'limit_req zone=z rate=1;' }), /t\.conf:11: "limit_req" unknown parameter "rate=1"/],
    [withParts({ location: 'limit_req zone=z;' }), /t\.conf:11: "limit_req" zone "z" is not declared/],
    [withParts({ location: 'limit_req_status 302;' }), /t\.conf:11: "limit_req_status" must be between 400 and 599/],
    [withParts({ location: 'limit_req_dry_run maybe;' }), /t\.conf:11: "limit_req_dry_run" "maybe" must be on or off/],
    [
      withParts({ server: 'location /s { root /x; try_files $uri @app; }' }),
      /t\.conf:8: "try_files" the last argument "@app" must be =CODE/,
    ],
    [withParts({ location: 'access_log off json;' }), /t\.conf:11: "access_log" "off" takes no other arguments/],
    [withParts({ location: 'access_log stdout pretty;' }), /t\.conf:11: "access_log" unknown log format "pretty"/],
    [withParts({ location: 'access_log syslog:server=x;' }), /t\.conf:11: "access_log" syslog is not supported/],
    [withParts({ location: 'return 200;' }), /t\.conf:9: "location" "location \/" has both proxy_pass and return/],
    [
      withParts({ server: 'location /x { health_check; return 200; }' }),
      /t\.conf:8: "location" "location \/x" has health_check but no proxy_pass/,
    ],
    [withParts({ server: 'location /x { client_max_body_size 1m; }' }), /t\.conf:8: "location" "location \/x" has nothing to serve/],
    [
      withParts({ server: 'location /x { proxy_pass http://apx; }' }),
      /t\.conf:8: "proxy_pass" no upstream named "apx" \(did you mean "api"\?\)/,
    ],
    [
      withParts({ upstream: 'health_check;', location: 'health_check;' }),
      /t\.conf:10: "proxy_pass" upstream "api" already has a health_check \(t\.conf:4\)/,
    ],
    [withParts({ server: 'listen 8080;' }), /t\.conf:8: "listen" 0\.0\.0\.0:8080 is listed twice in this server/],
    [
      withParts({ server: 'listen 9000 default_server;' }) + 'server { listen 9000 default_server; location / { return 200; } }',
      /t\.conf:14: "listen" a default_server for 0\.0\.0\.0:9000 is already defined at t\.conf:8/,
    ],
    [withParts({ http: 'admin_listen 127.0.0.1:8080;' }), /t\.conf:7: "listen" port 8080 is also the admin listener's/],
  ])('%#: %j', (text, message) => {
    expect(() => build(text)).toThrow(message);
  });
});

describe('log_format and access_log', () => {
  it('joins the strings of log_format, keeps escape=, and resolves access_log PATH NAME', () => {
    const config = build(
      withParts({
        http: `log_format upstreams escape=json '{"addr":"$upstream_addr",' '"status":"$upstream_status"}';\naccess_log /var/log/up.log upstreams buffer=32k if=$status;`,
      }),
    );
    const log = config.servers[0].locations[0].settings.accessLog;
    expect(log.format).toMatchObject({ name: 'upstreams', escape: 'json', text: '{"addr":"$upstream_addr","status":"$upstream_status"}' });
    expect(log).toMatchObject({ target: { kind: 'file', path: '/var/log/up.log' }, bufferBytes: 32 * 1024, condition: '$status' });
    expect(build(withParts({ http: 'access_log stdout combined;' })).servers[0].locations[0].settings.accessLog.format).toBe('combined');
  });

  it.each([
    ['access_log stdout upstreams;', /unknown log format "upstreams": declare log_format upstreams/],
    ["access_log stdout main;\nlog_format main '$status';", /t\.conf:1: "access_log" unknown log format "main"/],
    ["log_format main escape=xml '$status';", /escape=xml: write escape=default, json or none/],
    ["log_format main '$nope';", /unknown variable "\$nope"/],
    ["log_format combined '$status';", /"combined" is predefined/],
    ["log_format a '$status';\nlog_format a '$uri';", /format "a" is duplicate/],
    ['access_log stdout json gzip;', /"gzip" is not supported/],
  ])('refuses %j', (http, message) => {
    expect(() => build(withParts({ http }))).toThrow(message);
  });
});

describe("if (the rewrite module's common subset)", () => {
  it('parses ($var), =, !=, ~, ~*, !~ with a return inside, in file order', () => {
    const config = build(
      withParts({
        location: `if ($http_x_debug) { return 403; }
          if ($request_method = POST) { return 405 "no posts"; }
          if ($arg_v != "") { return 400; }
          if ($uri ~* "^/old/(\\d+)$") { return 301 /new/$1; }
          if ($http_user_agent !~ curl) { return 418; }`,
      }),
    );
    expect(config.servers[0].locations[0].ifs.map((i) => [i.subject, i.op, i.value, i.caseInsensitive, i.ret.code, i.ret.text])).toEqual([
      ['$http_x_debug', 'set', '', false, 403, null],
      ['$request_method', '=', 'POST', false, 405, 'no posts'],
      ['$arg_v', '!=', '', false, 400, null],
      ['$uri', '~', '^/old/(\\d+)$', true, 301, '/new/$1'],
      ['$http_user_agent', '!~', 'curl', false, 418, null],
    ]);
  });

  it.each([
    ['if ($http_x = 1) { proxy_pass http://api; }', /inside "if" only "return" is supported/],
    ['if (-f $request_filename) { return 404; }', /file tests \(-f\) are not supported/],
    ['if ($uri ~ "(") { return 404; }', /is not a valid regular expression/],
    ['if ($uri > 3) { return 404; }', /unknown operator ">"/],
    ['if $uri { return 404; }', /must be in parentheses/],
    ['if ($nope) { return 404; }', /unknown variable "\$nope"/],
  ])('refuses %j', (location, message) => {
    expect(() => build(withParts({ location }))).toThrow(message);
  });

  it("refuses an if after the location's return (never reached) and an if outside a location", () => {
    expect(() => build(withParts({ server: 'location /x { return 200; if ($x_y) { return 403; } }' }))).toThrow(
      /never reached|unknown variable/,
    );
    expect(() => build(withParts({ server: 'location /x { return 200; if ($http_x) { return 403; } }' }))).toThrow(/never reached/);
    expect(() => build(withParts({ server: 'if ($http_x) { return 403; }' }))).toThrow(/"if" is not allowed in server/);
  });
});

describe('variables in proxy_pass', () => {
  it('keeps the upstream name or the URI as templates; a URI with variables replaces the whole URI (regex locations too)', () => {
    const config = build(
      withParts({
        server: `location /by-header { proxy_pass http://$http_x_pool; }
          location ~ ^/v2/(\\w+)$ { proxy_pass http://api/items/$1$is_args$args; }`,
      }),
    );
    const [byHeader, v2] = config.servers[0].locations;
    expect(byHeader.handler).toMatchObject({ kind: 'proxy', upstream: '', hostTemplate: '$http_x_pool', uriTemplate: null, uri: null });
    expect(v2.handler).toMatchObject({ kind: 'proxy', upstream: 'api', hostTemplate: null, uriTemplate: '/items/$1$is_args$args' });
    expect(() => build(withParts({ server: 'location /x { proxy_pass http://$nope; }' }))).toThrow(/unknown variable "\$nope"/);
  });
});

describe('error_page and named locations', () => {
  it('parses codes, =CODE, = and the target; a level that sets error_page replaces the inherited ones', () => {
    const config = build(
      withParts({
        http: 'error_page 500 502 503 504 /50x.html; proxy_intercept_errors on;',
        server: 'location = /50x.html { return 200 "down"; } location @spare { proxy_pass http://api; }',
        location: 'error_page 404 =200 @spare; error_page 403 = https://example.com/denied;',
      }),
    );
    const [page, spare, root] = config.servers[0].locations;
    expect(page.settings.errorPages).toEqual([{ codes: [500, 502, 503, 504], status: null, target: '/50x.html' }]);
    expect(spare.match).toEqual({ kind: 'named', path: '@spare' });
    expect(root.settings.errorPages).toEqual([
      { codes: [404], status: 200, target: '@spare' },
      { codes: [403], status: 'target', target: 'https://example.com/denied' },
    ]);
    expect(root.settings.proxyInterceptErrors).toBe(true);
  });

  it.each([
    ['error_page 404 @nowhere;', /named location "@nowhere" is not defined in this server/],
    ['error_page 200 /x;', /"200" must be a status code between 300 and 599/],
    ['error_page /x;', /takes at least 2 arguments/],
    ['error_page 404 =abc /x;', /"=abc" is not =CODE/],
    ['error_page 404 x.html;', /must be a URI/],
  ])('refuses %j', (location, message) => {
    expect(() => build(withParts({ location }))).toThrow(message);
  });
});

describe('realip', () => {
  it('collects set_real_ip_from (a level that sets it replaces the inherited list), real_ip_header and real_ip_recursive', () => {
    const config = build(
      withParts({
        http: 'set_real_ip_from 10.0.0.0/8; set_real_ip_from 2001:db8::/32; real_ip_header X-Forwarded-For; real_ip_recursive on;',
        server: 'location /other { set_real_ip_from 192.0.2.1; return 200; }',
      }),
    );
    const [other, root] = [config.servers[0].locations[0], config.servers[0].locations[1]];
    expect(root.settings).toMatchObject({
      setRealIpFrom: ['10.0.0.0/8', '2001:db8::/32'],
      realIpHeader: 'X-Forwarded-For',
      realIpRecursive: true,
    });
    expect(other.settings.setRealIpFrom).toEqual(['192.0.2.1']);
  });

  it.each([
    ['set_real_ip_from lb.example;', /is not an address or CIDR/],
    ['set_real_ip_from 10.0.0.0/33;', /is not an address or CIDR/],
    ['real_ip_header proxy_protocol;', /proxy_protocol is not supported/],
  ])('refuses %j', (http, message) => {
    expect(() => build(withParts({ http }))).toThrow(message);
  });
});

describe('keepalive_time', () => {
  it('defaults to 1h for clients and upstreams (nginx), and is set per level or per upstream', () => {
    const plain = build(withParts({}));
    expect(plain.servers[0].locations[0].settings.keepaliveTimeMs).toBe(3_600_000);
    expect(plain.upstreams[0].keepaliveTimeMs).toBe(3_600_000);
    const set = build(withParts({ upstream: 'keepalive 8; keepalive_time 10m;', location: 'keepalive_time 30s;' }));
    expect(set.upstreams[0].keepaliveTimeMs).toBe(600_000);
    expect(set.servers[0].locations[0].settings.keepaliveTimeMs).toBe(30_000);
    expect(() => build(withParts({ location: 'keepalive_time 0;' }))).toThrow(/"keepalive_time" must be greater than 0/);
  });
});

describe('nginx defaults and duplicates', () => {
  it('limit_req_status defaults to 503, as nginx; tenk.conf sets 429 explicitly', () => {
    expect(build(withParts({})).servers[0].locations[0].settings.limitReqStatus).toBe(503);
    expect(build(withParts({ http: 'limit_req_status 429;' })).servers[0].locations[0].settings.limitReqStatus).toBe(429);
  });

  it('accepts the same server address twice in an upstream, as two peers (nginx does)', () => {
    const config = build(withParts({ upstream: 'server 127.0.0.1:3001 weight=2;' }));
    const servers = config.upstreams[0].servers;
    expect(servers.map((s) => [s.address, s.id, s.weight])).toEqual([
      ['127.0.0.1:3001', '127.0.0.1:3001', 1],
      ['127.0.0.1:3001', '127.0.0.1:3001#2', 2],
    ]);
  });
});

describe('environment port overrides', () => {
  const config = build(withParts({ http: 'admin_listen 127.0.0.1:8081;' }));

  it('TENK_BALANCER_PORT and TENK_BALANCER_ADMIN_PORT replace the ports', () => {
    const moved = applyPortOverrides(config, { TENK_BALANCER_PORT: '18080', TENK_BALANCER_ADMIN_PORT: '18081' });
    expect(moved.servers[0].listens[0].port).toBe(18080);
    expect(moved.admin?.port).toBe(18081);
    expect(applyPortOverrides(config, {}).servers[0].listens[0].port).toBe(8080);
  });

  it('refuses a bad port, a multi-port config, and a clash with the admin port', () => {
    expect(() => applyPortOverrides(config, { TENK_BALANCER_PORT: 'eighty' })).toThrow(
      /TENK_BALANCER_PORT="eighty": expected a TCP port number/,
    );
    const twoPorts = build(withParts({ server: 'listen 8443;' }));
    expect(() => applyPortOverrides(twoPorts, { TENK_BALANCER_PORT: '9000' })).toThrow(
      /the configuration listens on 2 ports \(8080, 8443\)/,
    );
    expect(() => applyPortOverrides(config, { TENK_BALANCER_PORT: '8081' })).toThrow(/port 8081 is also the admin listener's/);
  });

  it('with TENK_BALANCER_ADMIN_PORT set, a server on 8081 without admin_listen is accepted (the default admin port moved)', () => {
    const file = path.join(os.tmpdir(), `tenk-admin-${process.pid}.conf`);
    fs.writeFileSync(file, 'server { listen 127.0.0.1:8081; location / { return 200; } }\n');
    try {
      expect(() => loadConfig(file, { env: {} })).toThrow(/port 8081 is also the admin listener's/);
      const config = loadConfig(file, { env: { TENK_BALANCER_ADMIN_PORT: '18081' } });
      expect(config.admin?.port).toBe(18081);
      expect(config.servers[0].listens[0].port).toBe(8081);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
