import { HttpException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';

const JSON_TYPE = /^\s*application\/json\s*(;|$)/i;

/**
 * Parses JSON bodies (up to the adapter's bodyLimit) with answers that say which part of the
 * request was wrong: not JSON (and where), a `__proto__` key, a charset it cannot read, a size
 * over the limit (named with both numbers, before a byte is read; a chunked body past it gets
 * fastify's own 413). Any other body type is passed through unread (the guards then name what
 * the route takes, 415; an upload streams it from node's request). Call before the app listens.
 */
export function parseJsonWithNamedErrors(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const length = Number(request.headers['content-length']);
    const limit = request.routeOptions.bodyLimit;
    if (length > limit && JSON_TYPE.test(request.headers['content-type'] ?? ''))
      return done(bodyError(413, `the request body is ${length} bytes; this route takes at most ${limit} bytes`));
    done(null, payload);
  });
  app.useBodyParser('application/json', {}, (req, body, done) => {
    try {
      done(null, parseJsonBody(req.headers, body));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  // Every other type, and a body without Content-Type: not read here (see above).
  app
    .getHttpAdapter()
    .getInstance()
    .addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
}

/** The JSON value of `body`, or an HttpException naming what is wrong with it (400, 415). */
export function parseJsonBody(headers: IncomingHttpHeaders, body: Buffer): unknown {
  const charset = charsetOf(headers['content-type']);
  let text: string;
  try {
    if (!charset.startsWith('utf-')) throw new RangeError(charset);
    text = new TextDecoder(charset).decode(body);
  } catch {
    throw bodyError(415, `the request body's unsupported charset "${charset.toUpperCase()}"`);
  }
  // As Express read it: an empty body is an empty object, and only an object or an array is JSON here.
  if (text.trim() === '') return {};
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[')
    throw bodyError(400, `the request body is not valid JSON: it must be an object or an array, not ${JSON.stringify(first)}...`);
  try {
    return JSON.parse(text, refuseProtoKeys);
  } catch (error) {
    throw bodyError(400, `the request body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * JSON.parse keeps a `"__proto__"` key as an own property; code that later copies or merges the
 * object (a spread into a class, a deep merge) may treat it as the prototype. No route takes
 * one: refuse it at parse time (fastify's onProtoPoisoning: 'error' does the same).
 */
export function refuseProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('a "__proto__" key is not accepted');
  return value;
}

function bodyError(status: number, message: string): HttpException {
  return new HttpException({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message }, status);
}

function charsetOf(contentType: string | undefined): string {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match ? match[1].toLowerCase() : 'utf-8';
}
