import { createWriteStream, type WriteStream } from 'node:fs';
import type { LogTarget } from '../config/schema';

/**
 * Where log lines go: stdout, stderr or a file, written in batches. Access log lines are
 * collected into one string and written when the batch is full or the flush interval
 * passes (nginx's `buffer=` and `flush=`), so a busy balancer makes one write per batch
 * rather than one per request. Event lines (errors, reloads) go out at once.
 *
 * A reader slower than the requests (a pipe to a busy process, a slow disk) must not make the
 * balancer hold the backlog: Node keeps every write it cannot pass on in memory, and under
 * overload (14,000 refusals a second) that filled the balancer's heap within seconds and
 * killed it. So a batch is dropped, and counted, while more than MAX_BACKLOG_BYTES wait to be
 * written; event lines are always written, and one says how much was dropped.
 */
const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;
const DROP_REPORT_INTERVAL_MS = 10_000;

export class LogSink {
  readonly key: string;
  readonly #write: (text: string) => void;
  readonly #stream: WriteStream | null;
  /** What the writes go to, to see how much is still waiting (null: off). */
  readonly #out: (NodeJS.WritableStream & { writableLength: number }) | null;
  #pending = '';
  /** Access-log bytes dropped because the reader fell behind. */
  droppedBytes = 0;
  #droppedSinceReport = 0;
  #lastDropReport = 0;
  #bufferBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  #flushMs = 1000;

  constructor(target: LogTarget) {
    this.key = sinkKey(target);
    this.#stream = null;
    this.#out = null;
    switch (target.kind) {
      case 'stdout':
        this.#out = process.stdout;
        this.#write = (text) => process.stdout.write(text);
        break;
      case 'stderr':
        this.#out = process.stderr;
        this.#write = (text) => process.stderr.write(text);
        break;
      case 'file': {
        const stream = createWriteStream(target.path, { flags: 'a' });
        stream.on('error', (error) =>
          process.stderr.write(
            `${JSON.stringify({ time: new Date().toISOString(), level: 'error', service: 'balancer', msg: `cannot write log file ${target.path}: ${error.message}` })}\n`,
          ),
        );
        this.#stream = stream;
        this.#out = stream;
        this.#write = (text) => stream.write(text);
        break;
      }
      case 'off':
        this.#write = () => undefined;
        break;
    }
  }

  /** Batching for access lines (the largest buffer and shortest flush asked for win). */
  configureBuffer(bufferBytes: number, flushMs: number): void {
    this.#bufferBytes = Math.max(this.#bufferBytes, bufferBytes);
    if (flushMs > 0) this.#flushMs = Math.min(this.#flushMs, flushMs);
  }

  /** A line written in the next batch. */
  buffered(line: string): void {
    this.#pending += line;
    if (this.#pending.length >= this.#bufferBytes) {
      this.flush();
      return;
    }
    if (this.#timer === null) {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      this.#timer.unref();
    }
  }

  /** A line written now (after anything batched, so the order holds). */
  immediate(line: string): void {
    if (this.#pending !== '') this.flush();
    this.#write(line);
  }

  flush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    const out = this.#out;
    if (out !== null && out.writableLength > MAX_BACKLOG_BYTES) {
      this.droppedBytes += text.length;
      this.#droppedSinceReport += text.length;
      const now = Date.now();
      if (now - this.#lastDropReport >= DROP_REPORT_INTERVAL_MS) {
        this.#lastDropReport = now;
        this.#write(
          `${JSON.stringify({ time: new Date(now).toISOString(), level: 'warn', service: 'balancer', msg: 'the access log cannot keep up: lines dropped while its reader catches up', dropped_bytes: this.#droppedSinceReport, backlog_bytes: out.writableLength })}\n`,
        );
        this.#droppedSinceReport = 0;
      }
      return;
    }
    this.#write(text);
  }

  async close(): Promise<void> {
    this.flush();
    const stream = this.#stream;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }
}

export function sinkKey(target: LogTarget): string {
  return target.kind === 'file' ? `file:${target.path}` : target.kind;
}
