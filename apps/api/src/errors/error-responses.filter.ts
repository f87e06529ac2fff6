import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { PinoLogger } from 'nestjs-pino';
import { isBulkheadFullError, isCallTimeoutError, isCircuitOpenError } from '@tenk/resilience';

/** The body of every error answer: what went wrong, never how the code is built. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  /** Quote it when reporting a 5xx: the logs hold the details under the same id. */
  requestId?: string;
  [extra: string]: unknown;
}

/**
 * The api's last word on errors. HTTP errors keep their status and message (validation, 404,
 * 409, 429); one whose body says `retryAfterSeconds` also gets that Retry-After header (a 503
 * while payments or a shard are unavailable, a 409 while a duplicate is in progress, a 429); a
 * client error raised below Nest (malformed JSON, a body over the size limit) keeps its status
 * and message (fastify's refusals reach it as HttpExceptions, Nest maps them); a call a
 * resilience policy refused and no handler caught (an open breaker, a full bulkhead, a
 * timeout) is a 503 with Retry-After;
 * anything else (a database error, a bug) is logged in full and answered with a plain 500 and
 * the request id: no stack trace, no SQL, no driver message ever reaches the client.
 */
@Catch()
export class ErrorResponsesFilter implements ExceptionFilter {
  constructor(private readonly logger: PinoLogger) {
    logger.setContext(ErrorResponsesFilter.name);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    // A route's fastify request and reply, or node's own where Nest middleware threw.
    const req = http.getRequest<FastifyRequest | IncomingMessage>();
    const reply = http.getResponse<FastifyReply | ServerResponse>();
    const raw = 'raw' in reply ? reply.raw : reply;
    // The access log's request id (the balancer's X-Request-Id, or one it made), on node's request.
    const id = ('raw' in req ? req.raw : req).id;
    const requestId = typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
    const body = this.bodyFor(exception, requestId);
    if (raw.headersSent) {
      // Part of the answer is out already: all we can do is end it, so the client sees a cut.
      this.logger.error({ err: exception }, 'error after the response had started; closing the connection');
      raw.destroy();
      return;
    }
    const retryAfter = this.retryAfterSeconds(exception);
    const json = JSON.stringify(body);
    if ('raw' in reply) {
      if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
      void reply.status(body.statusCode).header('Content-Type', 'application/json; charset=utf-8').send(json);
      return;
    }
    if (retryAfter !== undefined) raw.setHeader('Retry-After', String(retryAfter));
    raw.statusCode = body.statusCode;
    raw.setHeader('Content-Type', 'application/json; charset=utf-8');
    raw.setHeader('Content-Length', Buffer.byteLength(json));
    raw.end(json);
  }

  /** The answer for an exception: a hook, so a test or a subclass can see the mapping alone. */
  protected bodyFor(exception: unknown, requestId: string | undefined): ErrorBody {
    if (exception instanceof HttpException) return fromHttpException(exception);
    const clientError = asClientError(exception);
    if (clientError) return clientError;
    const retryAfter = this.retryAfterSeconds(exception);
    if (retryAfter !== undefined) {
      // Which breaker or bulkhead is for the logs; the client learns only when to come back.
      this.logger.warn({ err: exception }, 'a resilience policy refused a call and no handler answered for it: 503');
      return {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: STATUS_CODES[503] ?? 'Service Unavailable',
        message: `a service this request needs is unavailable right now; try again in ${retryAfter} s`,
        requestId,
      };
    }
    this.logger.error({ err: exception }, 'unexpected error while serving the request');
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: STATUS_CODES[500] ?? 'Internal Server Error',
      message: `something went wrong on our side; if it keeps happening, report request id ${requestId ?? '(none)'}`,
      requestId,
    };
  }

  /**
   * Seconds until a retry may succeed: an HTTP error's `retryAfterSeconds`, or a refusal by a
   * resilience policy's; otherwise undefined.
   */
  protected retryAfterSeconds(exception: unknown): number | undefined {
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      const seconds =
        typeof response === 'object' && response !== null ? (response as { retryAfterSeconds?: unknown }).retryAfterSeconds : undefined;
      return typeof seconds === 'number' && seconds > 0 ? Math.ceil(seconds) : undefined;
    }
    if (isCircuitOpenError(exception)) return Math.max(1, Math.ceil(exception.retryAfterMs / 1000));
    if (isBulkheadFullError(exception) || isCallTimeoutError(exception)) return 1;
    return undefined;
  }
}

function fromHttpException(exception: HttpException): ErrorBody {
  const statusCode = exception.getStatus();
  const response = exception.getResponse();
  const error = STATUS_CODES[statusCode] ?? 'Error';
  if (typeof response === 'string') return { statusCode, error, message: response };
  return { statusCode, error, message: exception.message, ...(response as Record<string, unknown>) } as ErrorBody;
}

/**
 * Errors made with http-errors (as some Node middleware throws) carry a 4xx status and
 * `expose: true` when their message is meant for the client.
 */
function asClientError(exception: unknown): ErrorBody | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { status, statusCode, expose, message } = exception as {
    status?: unknown;
    statusCode?: unknown;
    expose?: unknown;
    message?: unknown;
  };
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code !== 'number' || code < 400 || code > 499 || expose !== true) return undefined;
  return {
    statusCode: code,
    error: STATUS_CODES[code] ?? 'Error',
    message: typeof message === 'string' ? message : (STATUS_CODES[code] ?? 'bad request'),
  };
}
