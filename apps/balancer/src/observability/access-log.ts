import type { AccessLogSetting } from '../config/schema';
import { Template, type VariableContext } from '../http/variables';
import { LogFormat } from './log-format';
import type { LogSink } from './log-sink';

/** What one access log line records. Filled by the code that answered the request. */
export interface AccessRecord {
  requestId: string;
  clientAddress: string;
  method: string;
  /** The request target as received. */
  target: string;
  httpVersion: string;
  status: number;
  bytesSent: number;
  /** From the first byte of the request to the end of the response. */
  durationMs: number;
  userAgent: string;
  referer: string;
  upstreamName: string;
  /** The peer that answered (the last one, after retries), or ''. */
  peerAddress: string;
  upstreamStatus: number;
  /** Time the last peer took, or -1. */
  upstreamMs: number;
  tries: number;
  /**
   * 1: every answer like this one is logged. N: one in N is (admission control's refusals,
   * ACCESS_LOG_REFUSAL_SAMPLE), and the JSON line says `"sample_rate":N`.
   */
  logSampleRate: number;
}

/**
 * One in this many of admission control's 503s is written to the access log (as `"sample_rate":10`
 * in the JSON line). Past capacity the balancer may refuse tens of thousands of requests a
 * second; a line for each cost it more than the refusal itself, and each is counted anyway in
 * /metrics (tenk_balancer_upstream_refused_total, by reason). Every other answer gets its line.
 */
export const ACCESS_LOG_REFUSAL_SAMPLE = 10;

let cachedSecond = 0;
let cachedIso = '';
let cachedCombined = '';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function refreshClock(now: number): void {
  const second = Math.floor(now / 1000);
  if (second === cachedSecond) return;
  cachedSecond = second;
  const date = new Date(second * 1000);
  cachedIso = date.toISOString().replace('.000Z', 'Z');
  const pad = (n: number) => String(n).padStart(2, '0');
  cachedCombined = `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * One location's access log: JSON lines by default (one object per request, fields named
 * like nginx's variables), or nginx's `combined` text format. Lines are built by string
 * concatenation with the timestamp cached per second, and batched by the sink.
 */
export class AccessLog {
  readonly #sink: LogSink;
  readonly #format: 'json' | 'combined' | LogFormat;
  /** access_log ... if=CONDITION: skip the line when it evaluates to "" or "0". */
  readonly #condition: Template | null;
  /** Sampled answers seen (logSampleRate > 1): every Nth is written. */
  #sampled = 0;

  constructor(sink: LogSink, setting: AccessLogSetting) {
    this.#sink = sink;
    this.#format = typeof setting.format === 'string' ? setting.format : new LogFormat(setting.format);
    this.#condition = setting.condition === null || setting.condition === undefined ? null : new Template(setting.condition);
    sink.configureBuffer(setting.bufferBytes, setting.flushMs);
  }

  write(record: AccessRecord): void {
    const rate = record.logSampleRate;
    if (rate > 1 && ++this.#sampled % rate !== 0) return;
    if (this.#condition !== null) {
      const verdict = this.#condition.evaluate(record as AccessRecord & VariableContext);
      if (verdict === '' || verdict === '0') return;
    }
    const format = this.#format;
    if (typeof format !== 'string') {
      // Records are RequestRecords, which are also the requests' variable contexts.
      this.#sink.buffered(format.line(record as AccessRecord & VariableContext));
      return;
    }
    refreshClock(Date.now());
    this.#sink.buffered(format === 'json' ? jsonLine(record) : combinedLine(record));
  }
}

function jsonLine(r: AccessRecord): string {
  return (
    `{"time":"${cachedIso}","level":"info","service":"balancer","msg":"access","request_id":${quoted(r.requestId)}` +
    `,"remote_addr":${quoted(r.clientAddress)},"method":${quoted(r.method)},"uri":${quoted(r.target)}` +
    `,"status":${r.status},"bytes_sent":${r.bytesSent},"request_time_ms":${milliseconds(r.durationMs)}` +
    (r.upstreamName === ''
      ? ''
      : `,"upstream":${quoted(r.upstreamName)},"upstream_addr":${quoted(r.peerAddress)},"upstream_status":${r.upstreamStatus},"upstream_response_time_ms":${r.upstreamMs < 0 ? 'null' : milliseconds(r.upstreamMs)},"upstream_tries":${r.tries}`) +
    `,"user_agent":${quoted(r.userAgent)}` +
    (r.logSampleRate > 1 ? `,"sample_rate":${r.logSampleRate}}\n` : '}\n')
  );
}

function combinedLine(r: AccessRecord): string {
  const quote = (text: string) => (text === '' ? '"-"' : quoted(text));
  return `${r.clientAddress} - - [${cachedCombined}] "${r.method} ${r.target} HTTP/${r.httpVersion}" ${r.status} ${r.bytesSent} ${quote(r.referer)} ${quote(r.userAgent)}\n`;
}

/** What JSON.stringify would escape in a string: quotes, backslashes, control characters, lone surrogates. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what needs escaping
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/u;

/**
 * A string as a JSON string literal. Nearly every value (ids, addresses, paths, user agents)
 * has nothing to escape: one regular-expression test instead of JSON.stringify's work.
 */
export function quoted(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** A duration in ms with at most 3 decimals, as a JSON number (cheaper than toFixed). */
function milliseconds(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
