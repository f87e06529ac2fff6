import type { LogSink } from './log-sink';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Structured event log: one JSON object per line (`time`, `level`, `service`, `msg`, then
 * the event's fields), the shape tenk's other services log in. The sink can be swapped on
 * reload (error_log).
 */
export class Logger {
  #sink: LogSink;
  #min: number;
  readonly #fixed: boolean;
  #context: Record<string, unknown> = {};

  /** `fixed`: keep this sink even when the configuration names another (tests, embedding). */
  constructor(sink: LogSink, level: LogLevel = 'info', fixed = false) {
    this.#sink = sink;
    this.#min = LEVELS[level];
    this.#fixed = fixed;
  }

  /** Fields every line carries from now on (a worker's index and pid). */
  setContext(fields: Record<string, unknown>): void {
    this.#context = fields;
  }

  /** Switches to the sink `error_log` names (on start and reload). */
  useSink(sink: LogSink): void {
    if (!this.#fixed) this.#sink = sink;
  }

  get sink(): LogSink {
    return this.#sink;
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.#log('debug', msg, fields);
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.#log('info', msg, fields);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.#log('warn', msg, fields);
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.#log('error', msg, fields);
  }

  #log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (LEVELS[level] < this.#min) return;
    this.#sink.immediate(
      `${JSON.stringify({ time: new Date().toISOString(), level, service: 'balancer', msg, ...this.#context, ...fields })}\n`,
    );
  }
}
