import type { IncomingMessage } from 'node:http';
import { UpstreamTrail } from '../http/upstream-trail';
import type { VariableContext } from '../http/variables';
import { LogFormat } from './log-format';

function context(overrides: Partial<VariableContext> = {}): VariableContext {
  return {
    req: {
      url: '/p?q=1',
      method: 'GET',
      httpVersion: '1.1',
      rawHeaders: ['User-Agent', 'curl "x"\n', 'Referer', ''],
      socket: {},
    } as unknown as IncomingMessage,
    clientAddress: '203.0.113.7',
    uri: '/p',
    requestId: 'rid',
    scheme: 'http',
    serverPort: 8080,
    proxyHost: 'api',
    status: 200,
    bytesSent: 12,
    durationMs: 15,
    ...overrides,
  };
}

const format = (text: string, escape: 'default' | 'json' | 'none' = 'default') =>
  new LogFormat({ name: 'f', escape, text, file: 't.conf', line: 1 });

describe('log_format (ngx_http_log_module)', () => {
  it('escapes as nginx by default: ", \\ and control bytes as \\xXX; empty values as -', () => {
    expect(
      format('$remote_addr "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time').line(context()),
    ).toBe('203.0.113.7 "GET /p?q=1 HTTP/1.1" 200 12 "-" "curl \\x22x\\x22\\x0A" 0.015\n');
  });

  it('escape=json escapes for a JSON string and logs empty values as empty', () => {
    const line = format('{"ua":"$http_user_agent","ref":"$http_referer","status":$status}', 'json').line(context());
    expect(JSON.parse(line)).toEqual({ ua: 'curl "x"\n', ref: '', status: 200 });
  });

  it('escape=none writes values as they are', () => {
    expect(format('$http_user_agent|$http_referer', 'none').line(context())).toBe('curl "x"\n|-\n');
  });

  it('lists upstream tries with ", " and upstream groups with " : "', () => {
    const trail = new UpstreamTrail();
    trail.push('10.0.0.1:80', 502, 1.5, 0.2, -1);
    trail.push('10.0.0.2:80', 0, 2, -1, -1);
    trail.separator = ' : ';
    const ctx = context({
      trail,
      peerAddress: '10.0.0.3:80',
      upstreamStatus: 404,
      upstreamMs: 3,
      upstreamConnectMs: 1,
      upstreamHeaderMs: 2,
    });
    expect(format('$upstream_addr|$upstream_status|$upstream_response_time|$upstream_connect_time|$upstream_header_time').line(ctx)).toBe(
      '10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80|502, 502 : 404|0.002, 0.002 : 0.003|0.000, - : 0.001|-, - : 0.002\n',
    );
  });

  it('has no upstream values for a request answered by tenk itself', () => {
    expect(format('[$upstream_addr][$upstream_status]', 'none').line(context({ peerAddress: '' }))).toBe('[-][-]\n');
  });
});
