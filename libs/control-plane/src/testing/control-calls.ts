import http, { type IncomingHttpHeaders } from 'node:http';

/** One call to a control server, as a test writes it: everything a hostile caller can change. */
export interface ControlCall {
  method: string;
  url: string;
  /** Sent as `Authorization: Bearer <token>`; none when undefined. */
  token?: string;
  /** The Host header; the URL's when undefined. */
  host?: string;
  origin?: string;
  /** null: no Content-Type header. */
  contentType?: string | null;
  body?: string;
}

export interface ControlAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Sends a ControlCall with node:http, which (unlike fetch) lets a test forge the Host header,
 * as a DNS-rebinding page's requests carry another name than 127.0.0.1.
 */
export function controlRequest(call: ControlCall): Promise<ControlAnswer> {
  const url = new URL(call.url);
  const headers: Record<string, string> = { host: call.host ?? url.host };
  if (call.token !== undefined) headers['authorization'] = `Bearer ${call.token}`;
  if (call.origin !== undefined) headers['origin'] = call.origin;
  const contentType = call.contentType === undefined ? 'application/json' : call.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  if (call.body !== undefined) headers['content-length'] = String(Buffer.byteLength(call.body));
  return new Promise((resolve, reject) => {
    const request = http.request(
      { hostname: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: call.method, headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(call.body);
  });
}

/** A hostile variant of a correct control call, and the refusal it must get. */
export interface HostileControlCall {
  name: string;
  status: 401 | 403 | 415;
  message: RegExp;
  from(correct: ControlCall): ControlCall;
}

const portOf = (url: string) => new URL(url).port;

/**
 * What any web page (or a DNS-rebinding one) can send to a control port, each with the 4xx it
 * must get. Every control server's tests run each of them against a correct call, and check
 * that nothing changed.
 */
export const HOSTILE_CONTROL_CALLS: readonly HostileControlCall[] = [
  {
    name: 'no token',
    status: 401,
    message: /needs the run's control token: send "Authorization: Bearer <token>"/,
    from: (correct) => ({ ...correct, token: undefined }),
  },
  { name: 'a wrong token', status: 401, message: /wrong control token/, from: (correct) => ({ ...correct, token: 'f'.repeat(48) }) },
  {
    name: 'a cross-site Origin (https://evil.example)',
    status: 403,
    message: /cross-site request refused: Origin "https:\/\/evil\.example" is not this server/,
    from: (correct) => ({ ...correct, origin: 'https://evil.example' }),
  },
  {
    name: 'a foreign Host (evil.example, as after DNS rebinding)',
    status: 403,
    message: /Host "evil\.example:\d+" is not this server/,
    from: (correct) => ({ ...correct, host: `evil.example:${portOf(correct.url)}` }),
  },
  {
    name: "a text/plain body (what fetch(..., {mode: 'no-cors'}) sends)",
    status: 415,
    message: /takes a JSON body: send Content-Type: application\/json \(got "text\/plain;charset=UTF-8"\)/,
    from: (correct) => ({ ...correct, contentType: 'text/plain;charset=UTF-8' }),
  },
  {
    name: 'a form body',
    status: 415,
    message: /takes a JSON body: send Content-Type: application\/json \(got "application\/x-www-form-urlencoded"\)/,
    from: (correct) => ({ ...correct, contentType: 'application/x-www-form-urlencoded', body: 'algorithm=round_robin&on=false' }),
  },
  {
    name: 'no body at all',
    status: 415,
    message: /\(got no Content-Type\)/,
    from: (correct) => ({ ...correct, contentType: null, body: undefined }),
  },
];
