import { HttpException, type INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';

/** What body-parser (through http-errors) puts on its errors: which check failed, and the numbers. */
interface BodyParserError {
  status?: unknown;
  expose?: unknown;
  type?: unknown;
  limit?: unknown;
  length?: unknown;
  message?: unknown;
}

/**
 * Parses JSON bodies as Nest would, and turns body-parser's refusals into answers that say
 * which part of the request was wrong and what the limit is: its own messages ("Unexpected end
 * of JSON input", "request entity too large") name neither, and Nest keeps only the message.
 * Call before the app starts listening: the parser must come before Nest's own.
 */
export function parseJsonWithNamedErrors(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { reviver: refuseProtoKeys });
  express.use((error: unknown, _req: Request, _res: Response, next: NextFunction) => next(namedBodyError(error)));
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

/** The HttpException for a body-parser error (anything else passes unchanged). */
export function namedBodyError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { status, expose, type, limit, length, message } = error as BodyParserError;
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true || typeof type !== 'string') return error;
  const text = typeof message === 'string' ? message : 'bad request';
  return new HttpException(
    { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message: describe(type, text, limit, length) },
    status,
  );
}

function describe(type: string, message: string, limit: unknown, length: unknown): string {
  switch (type) {
    case 'entity.parse.failed':
      return `the request body is not valid JSON: ${message}`;
    case 'entity.too.large':
      return typeof limit === 'number'
        ? `the request body is ${typeof length === 'number' ? `${length} bytes` : 'larger than its limit'}; this route takes at most ${limit} bytes`
        : 'the request body is larger than this route takes';
    case 'request.size.invalid':
      return `the request body does not match its Content-Length: ${message}`;
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return `the request body's ${message}`;
    default:
      return message;
  }
}
