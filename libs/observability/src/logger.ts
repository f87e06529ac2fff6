import pino, { type Logger, type LoggerOptions } from 'pino';
import type { LogLevel } from '@tenk/config';
import { activeTraceIds } from './tracing/tracing';

/** Keys never written to logs, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'passwordHash',
  '*.passwordHash',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  // A failed query's bind values (TypeORM's QueryFailedError.parameters) can hold password
  // hashes, emails and tokens: the SQL text is logged, its values are not.
  'err.parameters',
  '*.err.parameters',
];

export interface LoggerSettings {
  service: string;
  level: LogLevel;
}

export function loggerOptions({ service, level }: LoggerSettings): LoggerOptions {
  return {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    // trace_id and span_id of the active span on every line written inside one (none when
    // tracing is off: activeTraceIds() returns at once), so a log line leads to its trace.
    mixin: () => activeTraceIds() ?? {},
  };
}

/**
 * Structured JSON log lines (one object per line: time, level, service, msg, ...) for code
 * outside Nest: tools, the balancer, CLIs. Nest apps get the same shape through nestjs-pino.
 */
export function createLogger(settings: LoggerSettings): Logger {
  return pino(loggerOptions(settings));
}

export type { Logger };
