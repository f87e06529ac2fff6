import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

const BODY_TOO_LARGE = Symbol.for('tenk.balancer.BodyTooLarge');

/** The client sent more than client_max_body_size: the answer is 413. */
export class BodyTooLargeError extends Error {
  readonly [BODY_TOO_LARGE] = true;

  constructor(readonly limit: number) {
    super(`request body larger than client_max_body_size (${limit} bytes)`);
    this.name = 'BodyTooLargeError';
  }
}

export function isBodyTooLarge(error: unknown): error is BodyTooLargeError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BODY_TOO_LARGE] === true;
}

/**
 * Streams a client's request body to undici with backpressure (the client is paused while
 * the upstream socket is full, so a 1 GB upload holds a few chunks in memory, not the body).
 * It counts bytes against client_max_body_size and arms client_body_timeout while reading.
 * undici destroys the stream it sends: destroying this relay detaches from the request
 * rather than destroying the client's connection, so tenk can still answer 502 or 413, and a
 * relay that never read anything can be replaced for a retry on another peer.
 */
export class RequestBodyRelay extends Readable {
  readonly #req: IncomingMessage;
  readonly #limit: number;
  readonly #timeoutMs: number;
  #received = 0;
  #attached = false;
  #done = false;
  /** True once a byte was read: the body cannot be sent to another peer any more. */
  started = false;
  /** The client broke off (closed the connection, or stopped sending for client_body_timeout). */
  clientFailed = false;

  constructor(req: IncomingMessage, limit: number, timeoutMs: number) {
    super({ highWaterMark: 64 * 1024 });
    this.#req = req;
    this.#limit = limit;
    this.#timeoutMs = timeoutMs;
  }

  override _read(): void {
    if (!this.#attached) {
      this.#attached = true;
      this.started = true;
      const req = this.#req;
      req.on('data', this.#onData);
      req.on('end', this.#onEnd);
      req.on('error', this.#onError);
      req.on('aborted', this.#onAborted);
      if (this.#timeoutMs > 0) req.socket.setTimeout(this.#timeoutMs);
    }
    this.#req.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const sending = this.#attached;
    this.#detach();
    if (!this.#done) {
      // Not started: kept for a retry's relay. Started and ended early (the upstream answered
      // without reading it all, or failed): the rest is read and dropped, as nginx discards a
      // body, so the connection is ready for the client's next request. Too large, or the
      // client broke off: paused; the answer closes the connection.
      if (sending && !this.clientFailed && !isBodyTooLarge(error)) this.#discardRest();
      else this.#req.pause();
    }
    callback(error);
  }

  /** Reads the rest of the body into nothing, still within client_max_body_size and client_body_timeout. */
  #discardRest(): void {
    const req = this.#req;
    const socket = req.socket;
    if (this.#timeoutMs > 0) socket.setTimeout(this.#timeoutMs);
    const onData = (chunk: Buffer): void => {
      this.#received += chunk.length;
      if (this.#limit > 0 && this.#received > this.#limit) socket.destroy();
    };
    const onEnd = (): void => {
      req.off('data', onData);
      if (this.#timeoutMs > 0 && !socket.destroyed) socket.setTimeout(0);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onEnd);
    req.resume();
  }

  #onData = (chunk: Buffer): void => {
    this.#received += chunk.length;
    if (this.#limit > 0 && this.#received > this.#limit) {
      this.#req.pause();
      this.destroy(new BodyTooLargeError(this.#limit));
      return;
    }
    if (!this.push(chunk)) this.#req.pause();
  };

  #onEnd = (): void => {
    this.#done = true;
    this.#detach();
    this.push(null);
  };

  #onError = (error: Error): void => {
    this.clientFailed = true;
    this.destroy(error);
  };

  #onAborted = (): void => {
    this.clientFailed = true;
    this.destroy(new Error('client closed the connection while sending the request body'));
  };

  #detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    const req = this.#req;
    req.off('data', this.#onData);
    req.off('end', this.#onEnd);
    req.off('error', this.#onError);
    req.off('aborted', this.#onAborted);
    if (this.#timeoutMs > 0 && !req.socket.destroyed) req.socket.setTimeout(0);
  }
}
