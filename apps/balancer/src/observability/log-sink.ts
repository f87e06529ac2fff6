import { createWriteStream, type WriteStream } from 'node:fs';
import type { LogTarget } from '../config/schema';

/**
 * Where log lines go: stdout, stderr or a file, written in batches. Access log lines are
 * collected into one string and written when the batch is full or the flush interval
 * passes (nginx's `buffer=` and `flush=`), so a busy balancer makes one write per batch
 * rather than one per request. Event lines (errors, reloads) go out at once.
 */
export class LogSink {
  readonly key: string;
  readonly #write: (text: string) => void;
  readonly #stream: WriteStream | null;
  #pending = '';
  #bufferBytes = 0;
  #timer: NodeJS.Timeout | null = null;
  #flushMs = 1000;

  constructor(target: LogTarget) {
    this.key = sinkKey(target);
    this.#stream = null;
    switch (target.kind) {
      case 'stdout':
        this.#write = (text) => process.stdout.write(text);
        break;
      case 'stderr':
        this.#write = (text) => process.stderr.write(text);
        break;
      case 'file': {
        const stream = createWriteStream(target.path, { flags: 'a' });
        stream.on('error', (error) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'error', service: 'balancer', msg: `cannot write log file ${target.path}: ${error.message}` })}\n`));
        this.#stream = stream;
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
