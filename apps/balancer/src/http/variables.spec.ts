import type { IncomingMessage } from 'node:http';
import { hostOf, rawHeader, Template, type VariableContext } from './variables';

function context(url: string, rawHeaders: string[]): VariableContext {
  return {
    req: { url, rawHeaders, method: 'GET', httpVersion: '1.1', socket: { remotePort: 5555 } } as unknown as IncomingMessage,
    clientAddress: '203.0.113.7',
    uri: url.split('?')[0],
    requestId: 'rid',
    scheme: 'http',
    serverPort: 8080,
    proxyHost: 'api',
  };
}

describe('Template', () => {
  const ctx = context('/cart?item=42&qty=2', [
    'Host',
    'Shop.Example:8080',
    'X-Forwarded-For',
    '10.0.0.1',
    'Cookie',
    'session=abc; theme=dark',
    'X-Api-Key',
    'k1',
  ]);

  it('evaluates nginx variables', () => {
    expect(new Template('$remote_addr $scheme://$host:$server_port$request_uri').evaluate(ctx)).toBe(
      '203.0.113.7 http://shop.example:8080/cart?item=42&qty=2',
    );
    expect(new Template('${uri}|$args|$is_args|$request_method|$request_id|$proxy_host').evaluate(ctx)).toBe(
      '/cart|item=42&qty=2|?|GET|rid|api',
    );
    expect(new Template('$http_x_api_key $cookie_session $arg_qty $arg_missing.').evaluate(ctx)).toBe('k1 abc 2 .');
    expect(new Template('$proxy_add_x_forwarded_for').evaluate(ctx)).toBe('10.0.0.1, 203.0.113.7');
    expect(new Template('$proxy_add_x_forwarded_for').evaluate(context('/', []))).toBe('203.0.113.7');
    // nginx's documented `map $http_upgrade $connection_upgrade`, built in.
    expect(new Template('$connection_upgrade').evaluate(context('/', ['Upgrade', 'websocket']))).toBe('upgrade');
    expect(new Template('$connection_upgrade').evaluate(ctx)).toBe('close');
  });

  it('knows the variables of the proxy, log and core modules (issue 20)', () => {
    expect(new Template('$proxy_host $proxy_port').evaluate(ctx)).toBe('api 80');
    expect(new Template('$proxy_port').evaluate({ ...ctx, proxyHost: '127.0.0.1:3001' })).toBe('3001');
    expect(new Template('$request|$status|$body_bytes_sent').evaluate({ ...ctx, status: 404, bytesSent: 9 })).toBe(
      'GET /cart?item=42&qty=2 HTTP/1.1|404|9',
    );
    expect(new Template('$request_time').evaluate({ ...ctx, durationMs: 1234.5 })).toBe('1.234');
    expect(new Template('$time_iso8601').evaluate(ctx)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(new Template('$time_local').evaluate(ctx)).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
  });

  it('reads regex captures as $1 ... $9 (one digit, as nginx: $10 is $1 then "0")', () => {
    const withCaptures = { ...ctx, captures: ['/v2/items', 'v2', 'items'] };
    expect(new Template('/api/$2/$1$10').evaluate(withCaptures)).toBe('/api/items/v2v20');
    expect(new Template('[$1]').evaluate(ctx)).toBe('[]');
    const inRegexLocation = { ...ctx, uri: '/img/cat.png', location: { regex: /^\/img\/(\w+)\.(png|gif)$/ } };
    expect(new Template('$1.$2').evaluate(inRegexLocation)).toBe('cat.png');
  });

  it('numbers connections and counts their requests only once a template uses them', async () => {
    const { variableFeatures, countConnectionRequest } = await import('./variables');
    new Template('$connection $connection_requests');
    expect(variableFeatures.connections).toBe(true);
    const socket = {} as never;
    countConnectionRequest(socket);
    countConnectionRequest(socket);
    const connected = { ...ctx, req: { ...ctx.req, socket } as unknown as IncomingMessage };
    expect(new Template('$connection_requests').evaluate(connected)).toBe('2');
    expect(Number(new Template('$connection').evaluate(connected))).toBeGreaterThan(0);
  });

  it('is a constant without variables', () => {
    expect(new Template('no-cache').constant).toBe('no-cache');
    expect(new Template('$host').constant).toBeNull();
  });

  it('rejects unknown variables and stray $', () => {
    expect(() => new Template('$nope')).toThrow(/unknown variable "\$nope"/);
    expect(() => new Template('cost: $')).toThrow(/does not start a variable name/);
  });
});

describe('header helpers', () => {
  it('reads raw headers case-insensitively and $host without port', () => {
    expect(rawHeader(['Content-Type', 'text/plain'], 'content-type')).toBe('text/plain');
    expect(rawHeader([], 'content-type')).toBe('');
    expect(hostOf({ rawHeaders: ['host', '[::1]:8080'] } as unknown as IncomingMessage)).toBe('[::1]');
  });
});
