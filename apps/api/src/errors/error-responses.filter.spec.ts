import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpException,
  HttpStatus,
  Post,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { LoggerModule } from 'nestjs-pino';
import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { loggerOptions, createHttpAdapter } from '@tenk/observability';
import { BulkheadFullError, CircuitOpenError } from '@tenk/resilience';
import { parseJsonWithNamedErrors } from './body-parser-errors';
import { ErrorResponsesFilter } from './error-responses.filter';

const SECRET_HASH = '$2b$10$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234';

@Controller('boom')
class BoomController {
  @Get('sql')
  sql(): never {
    throw new QueryFailedError(
      'SELECT "password_hash" FROM "users" WHERE "email" = $1',
      [SECRET_HASH],
      new Error('relation "users" does not exist'),
    );
  }

  @Get('bug')
  bug(): never {
    throw new TypeError("Cannot read properties of undefined (reading 'id')");
  }

  @Get('breaker-open')
  breakerOpen(): never {
    throw new CircuitOpenError('shard:shard_2', 'open', 2_725);
  }

  @Get('bulkhead-full')
  bulkheadFull(): never {
    throw new BulkheadFullError('payments', 10, 20);
  }

  @Get('not-an-error')
  notAnError(): never {
    throw 'a string, thrown';
  }

  @Get('validation')
  validation(): never {
    throw new BadRequestException(['email must be an email address', 'password must not be empty']);
  }

  @Get('throttled')
  throttled(@Res({ passthrough: true }) res: FastifyReply): never {
    res.header('Retry-After', '42');
    throw new HttpException({ statusCode: 429, message: 'slow down', retryAfterSeconds: 42 }, HttpStatus.TOO_MANY_REQUESTS);
  }

  @Get('retry-later')
  retryLater(): never {
    throw new ServiceUnavailableException({ message: 'payments are unavailable right now', retryAfterSeconds: 2.5 });
  }

  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

describe('ErrorResponsesFilter', () => {
  let app: NestFastifyApplication;
  let base: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const moduleRef = await Test.createTestingModule({
      imports: [LoggerModule.forRoot({ pinoHttp: [{ ...loggerOptions({ service: 'test', level: 'info' }), autoLogging: false }, sink] })],
      controllers: [BoomController],
      providers: [{ provide: APP_FILTER, useClass: ErrorResponsesFilter }],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(), { logger: false });
    parseJsonWithNamedErrors(app);
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  async function get(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string }> {
    const response = await fetch(`${base}${path}`, init);
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  function expectNoInternals(text: string): void {
    expect(text).not.toMatch(
      /SELECT|password_hash|relation "users"|QueryFailedError|TypeError|Cannot read properties|\bat .+\.(js|ts):\d+/,
    );
    expect(text).not.toContain(SECRET_HASH);
  }

  it('answers a database error with a plain 500 and the request id, and logs it without the bind values', async () => {
    const { status, text } = await get('/boom/sql');
    expect(status).toBe(500);
    expectNoInternals(text);
    const body = JSON.parse(text) as { message: string; requestId: string };
    // pino-http's request id (the api's ObservabilityModule takes the balancer's X-Request-Id).
    expect(body.requestId).toMatch(/^\S+$/);
    expect(body.message).toContain(`report request id ${body.requestId}`);
    const logged = logLines.find((line) => line.includes('QueryFailedError'));
    expect(logged).toBeDefined();
    expect(logged).toContain('relation \\"users\\" does not exist');
    expect(logged).not.toContain(SECRET_HASH);
  });

  it('answers a bug with a plain 500 and no stack trace', async () => {
    const { status, text } = await get('/boom/bug');
    expect(status).toBe(500);
    expectNoInternals(text);
    expect(logLines.some((line) => line.includes('Cannot read properties of undefined'))).toBe(true);
  });

  it('answers a call refused by an open breaker that no handler caught with 503 + Retry-After, naming no breaker', async () => {
    const { status, headers, text } = await get('/boom/breaker-open');
    expect(status).toBe(503);
    expect(headers.get('retry-after')).toBe('3');
    expect(JSON.parse(text)).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      message: expect.stringContaining('try again in 3 s'),
    });
    expect(text).not.toContain('shard_2');
    const bulkhead = await get('/boom/bulkhead-full');
    expect(bulkhead.status).toBe(503);
    expect(bulkhead.headers.get('retry-after')).toBe('1');
  });

  it('answers something thrown that is not an Error with a plain 500 too', async () => {
    const { status, text } = await get('/boom/not-an-error');
    expect(status).toBe(500);
    expect(text).not.toContain('a string, thrown');
  });

  it('keeps an HTTP error as it was thrown: status, every message', async () => {
    const { status, text } = await get('/boom/validation');
    expect(status).toBe(400);
    expect(JSON.parse(text)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['email must be an email address', 'password must not be empty'],
    });
  });

  it('keeps headers set before the error (Retry-After on a 429)', async () => {
    const { status, headers, text } = await get('/boom/throttled');
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('42');
    expect(JSON.parse(text)).toMatchObject({ statusCode: 429, error: 'Too Many Requests', message: 'slow down', retryAfterSeconds: 42 });
  });

  it('sends Retry-After from an HTTP error that names retryAfterSeconds (rounded up)', async () => {
    const { status, headers, text } = await get('/boom/retry-later');
    expect(status).toBe(503);
    expect(headers.get('retry-after')).toBe('3');
    expect(JSON.parse(text)).toMatchObject({ statusCode: 503, message: 'payments are unavailable right now', retryAfterSeconds: 2.5 });
  });

  it('answers malformed JSON with a 400 that says so', async () => {
    const { status, text } = await get('/boom/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expect(status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/^the request body is not valid JSON: /),
    });
    expectNoInternals(text);
  });

  it('refuses a "__proto__" key anywhere in a JSON body (400 naming it)', async () => {
    const { status, text } = await get('/boom/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a": {"b": [{"__proto__": {"admin": true}}]}}',
    });
    expect([status, JSON.parse(text).message]).toEqual([400, 'the request body is not valid JSON: a "__proto__" key is not accepted']);
  });

  it("names a body's unsupported charset (415)", async () => {
    const { status, text } = await get('/boom/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=klingon' },
      body: '{}',
    });
    expect(status).toBe(415);
    expect(JSON.parse(text)).toMatchObject({ statusCode: 415, message: 'the request body\'s unsupported charset "KLINGON"' });
  });

  it('answers a body over the limit with 413', async () => {
    const { status, text } = await get('/boom/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ big: 'x'.repeat(200_000) }),
    });
    expect(status).toBe(413);
    expect(JSON.parse(text)).toMatchObject({
      statusCode: 413,
      error: 'Payload Too Large',
      message: expect.stringMatching(/^the request body is 200010 bytes; this route takes at most \d+ bytes$/),
    });
  });
});
