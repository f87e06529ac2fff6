import type { IncomingMessage } from 'node:http';
import { RequestHeaderPlan, ResponseHeaderPlan } from './header-plans';
import type { VariableContext } from './variables';

const ctx = (rawHeaders: string[]): VariableContext => ({
  req: { url: '/x', rawHeaders, method: 'GET', httpVersion: '1.1', socket: {} } as unknown as IncomingMessage,
  clientAddress: '198.51.100.4',
  uri: '/x',
  requestId: 'req-1',
  scheme: 'http',
  serverPort: 8080,
  proxyHost: 'api',
});

describe('RequestHeaderPlan', () => {
  it('drops hop-by-hop headers and adds Host, X-Forwarded-For/-Proto and X-Request-Id', () => {
    const raw = [
      'Host',
      'shop',
      'Connection',
      'keep-alive',
      'Keep-Alive',
      '5',
      'TE',
      'trailers',
      'Expect',
      '100-continue',
      'X-Forwarded-For',
      '10.1.1.1',
      'Accept',
      '*/*',
    ];
    const out = new RequestHeaderPlan([]).build(raw, ctx(raw));
    expect(out).toEqual([
      'Accept',
      '*/*',
      'Host',
      'api',
      'X-Forwarded-For',
      '10.1.1.1, 198.51.100.4',
      'X-Forwarded-Proto',
      'http',
      'X-Request-Id',
      'req-1',
    ]);
  });

  it('lets proxy_set_header override a default, add a header, or remove one with ""', () => {
    const plan = new RequestHeaderPlan([
      { name: 'Host', key: 'host', value: '$host' },
      { name: 'X-Request-Id', key: 'x-request-id', value: '' },
      { name: 'X-Real-IP', key: 'x-real-ip', value: '$remote_addr' },
    ]);
    const raw = ['host', 'shop.example'];
    expect(plan.build(raw, ctx(raw))).toEqual([
      'Host',
      'shop.example',
      'X-Forwarded-For',
      '198.51.100.4',
      'X-Forwarded-Proto',
      'http',
      'X-Real-IP',
      '198.51.100.4',
    ]);
  });
});

describe("RequestHeaderPlan: upgrades (nginx's WebSocket recipe)", () => {
  const upgrade = { name: 'Upgrade', key: 'upgrade', value: '$http_upgrade' };
  const raw = ['Host', 'shop', 'Connection', 'Upgrade', 'Upgrade', 'websocket'];

  it.each(['$connection_upgrade', 'upgrade', 'Upgrade'])(
    'lets upgrades through with Upgrade + Connection %s, sending neither as a plain header',
    (connection) => {
      const plan = new RequestHeaderPlan([upgrade, { name: 'Connection', key: 'connection', value: connection }]);
      expect(plan.upgrade?.evaluate(ctx(raw))).toBe('websocket');
      expect(plan.build(raw, ctx(raw))).toEqual([
        'Host',
        'api',
        'X-Forwarded-For',
        '198.51.100.4',
        'X-Forwarded-Proto',
        'http',
        'X-Request-Id',
        'req-1',
      ]);
    },
  );

  it("lets none through without both lines (the default), and never forwards the client's Upgrade or Connection", () => {
    expect(new RequestHeaderPlan([]).upgrade).toBeNull();
    expect(new RequestHeaderPlan([upgrade]).upgrade).toBeNull();
    expect(new RequestHeaderPlan([{ name: 'Connection', key: 'connection', value: 'upgrade' }]).upgrade).toBeNull();
    const plan = new RequestHeaderPlan([upgrade, { name: 'Connection', key: 'connection', value: 'close' }]);
    expect(plan.upgrade).toBeNull();
    // Connection "close" is still sent (it stops upstream keep-alive, as in nginx); Upgrade is not.
    expect(plan.build(raw, ctx(raw))).toEqual([
      'Host',
      'api',
      'X-Forwarded-For',
      '198.51.100.4',
      'X-Forwarded-Proto',
      'http',
      'X-Request-Id',
      'req-1',
      'Connection',
      'close',
    ]);
  });
});

describe('ResponseHeaderPlan', () => {
  it("writes a 101 head with the upstream's Upgrade and Connection, without hidden or framing headers", () => {
    const plan = new ResponseHeaderPlan(
      ['x-powered-by'],
      [{ name: 'X-Request-Id', key: 'x-request-id', value: '$request_id', always: true }],
    );
    const raw = [
      'Upgrade',
      'websocket',
      'Connection',
      'Upgrade',
      'Sec-WebSocket-Accept',
      's3pPLMBiTxaQ9kYGzzhZRbK+xOo=',
      'X-Powered-By',
      'Express',
      'Keep-Alive',
      'timeout=5',
    ].map((s) => Buffer.from(s));
    expect(plan.switchingHead(raw, ctx([]))).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Request-Id: req-1\r\n\r\n',
    );
  });

  it('drops hop-by-hop and hidden headers, and adds add_header for the listed statuses only (unless always)', () => {
    const plan = new ResponseHeaderPlan(
      ['x-powered-by'],
      [
        { name: 'Cache-Control', key: 'cache-control', value: 'no-cache', always: false },
        { name: 'X-Request-Id', key: 'x-request-id', value: '$request_id', always: true },
      ],
    );
    const raw = ['Content-Type', 'text/plain', 'Transfer-Encoding', 'chunked', 'Connection', 'keep-alive', 'X-Powered-By', 'Express'].map(
      (s) => Buffer.from(s),
    );
    expect(plan.fromUpstream(raw, 200, ctx([]), { upstreamContentLength: -1 })).toEqual([
      'Content-Type',
      'text/plain',
      'Cache-Control',
      'no-cache',
      'X-Request-Id',
      'req-1',
    ]);
    expect(plan.fromUpstream(raw, 500, ctx([]), { upstreamContentLength: -1 })).toEqual([
      'Content-Type',
      'text/plain',
      'X-Request-Id',
      'req-1',
    ]);
  });
});
