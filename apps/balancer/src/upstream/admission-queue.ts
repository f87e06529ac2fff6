// The global performance (the same clock as node:perf_hooks), so tests can fake it.

/** Why admission control refused a newcomer: the queue was full, or it would have waited past the timeout. */
export type AdmissionRefusal = 'full' | 'too_long';

/** A request waiting for a peer: the proxy's ProxyExchange (no wrapper object per request). */
export interface QueuedRequest {
  /** performance.now() when it joined the queue. */
  queuedAt: number;
  /** The client went away: it no longer needs a peer. */
  readonly closed: boolean;
  /** A peer may be free: pick again (it may join the queue again). */
  admit(): void;
  /** It waited `timeout`: answer it (503). */
  expire(): void;
}

/**
 * NGINX Plus's `queue N timeout=T` for one upstream: requests that find every usable peer at
 * max_conns wait here, first come first served, for at most T; at most N wait. A slot freed
 * by a finishing request admits the oldest waiter (Upstream.release). A ring buffer of fixed
 * size, so joining and leaving allocate nothing; one timer for the whole queue, running only
 * while someone waits, expires waiters from the head (the oldest first, so the head is the
 * only one to check) instead of a timer per request.
 */
export class AdmissionQueue {
  readonly capacity: number;
  readonly timeoutMs: number;
  readonly #ring: Array<QueuedRequest | null>;
  #head = 0;
  #length = 0;
  #timer: NodeJS.Timeout | null = null;
  readonly #tickMs: number;
  /** Called on every tick while someone waits: peers may have come back without a release. */
  #onTick: (() => void) | null = null;

  /** Requests that joined the queue. */
  joined = 0;
  /** Requests that left it for a peer. */
  admitted = 0;
  /** Refused because the queue was full. */
  full = 0;
  /** Refused at once because those ahead would not drain within `timeout` at the recent pace. */
  tooLong = 0;
  /** Refused because they waited `timeout`. */
  timedOut = 0;
  /** Whose client left while they waited. */
  abandoned = 0;
  /** Total time admitted requests waited, in ms (with `admitted`: the mean wait). */
  waitMsTotal = 0;
  /**
   * The recent time between two admissions while requests waited (a moving average, ms); 0
   * until measured. length x this is how long a newcomer would wait.
   */
  #admitIntervalMs = 0;
  #lastAdmitAt = -1;

  constructor(capacity: number, timeoutMs: number) {
    this.capacity = capacity;
    this.timeoutMs = timeoutMs;
    this.#ring = new Array<QueuedRequest | null>(capacity).fill(null);
    // Fine enough that a refusal comes close to `timeout`, coarse enough to cost nothing.
    this.#tickMs = Math.max(5, Math.min(100, Math.floor(timeoutMs / 10)));
  }

  get length(): number {
    return this.#length;
  }

  /** Lets the upstream try to admit waiters on every tick. */
  onTick(listener: () => void): void {
    this.#onTick = listener;
  }

  /**
   * Joins the queue; false when it is full, or when those already waiting would not drain
   * within `timeout` at the pace they have been draining (the caller refuses the request at
   * once: waiting out the timeout only to be refused anyway helps nobody, and a refusal that
   * comes fast lets the client retry elsewhere or later while it still cares).
   */
  offer(request: QueuedRequest, now: number): boolean {
    if (this.#refused() !== null) return false;
    request.queuedAt = now;
    // The pace is measured only while requests wait: from the first waiter's arrival on.
    if (this.#length === 0) this.#lastAdmitAt = now;
    this.#ring[(this.#head + this.#length) % this.capacity] = request;
    this.#length++;
    this.joined++;
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#tick(), this.#tickMs);
      this.#timer.unref();
    }
    return true;
  }

  /**
   * A newcomer's verdict before it asks the peers: while anyone waits, every usable peer is at
   * max_conns (a freed slot admits the oldest waiter at once), and first come first served puts
   * the newcomer behind them, so when it could not join (the queue full, or it would wait past
   * `timeout`) it is refused at once, counted as offer() counts it, without picking a peer only
   * to find that out again. null: nobody waits, or it may join: pick a peer as usual.
   */
  refuseNewcomer(): AdmissionRefusal | null {
    return this.#length === 0 ? null : this.#refused();
  }

  /** Whether a newcomer could not join now, counted. */
  #refused(): AdmissionRefusal | null {
    if (this.#length === this.capacity) {
      this.full++;
      return 'full';
    }
    if (this.#admitIntervalMs > 0 && (this.#length + 1) * this.#admitIntervalMs > this.timeoutMs) {
      this.tooLong++;
      return 'too_long';
    }
    return null;
  }

  /** Takes the oldest waiter out and lets it pick a peer. Returns false when none waits. */
  admitNext(now: number): boolean {
    const request = this.#shift();
    if (request === null) return false;
    if (request.closed) {
      this.abandoned++;
      return true;
    }
    this.admitted++;
    this.waitMsTotal += now - request.queuedAt;
    if (this.#lastAdmitAt >= 0) {
      const interval = now - this.#lastAdmitAt;
      this.#admitIntervalMs = this.#admitIntervalMs === 0 ? interval : this.#admitIntervalMs * 0.9 + interval * 0.1;
    }
    this.#lastAdmitAt = now;
    request.admit();
    return true;
  }

  /** Refuses everyone waiting (the upstream is going away, or the balancer stops). */
  clear(): void {
    while (this.#length > 0) {
      const request = this.#shift();
      if (request !== null && !request.closed) request.expire();
    }
    this.#stop();
  }

  #shift(): QueuedRequest | null {
    if (this.#length === 0) return null;
    const request = this.#ring[this.#head];
    this.#ring[this.#head] = null;
    this.#head = this.#head + 1 === this.capacity ? 0 : this.#head + 1;
    this.#length--;
    if (this.#length === 0) this.#stop();
    return request;
  }

  #tick(): void {
    const now = performance.now();
    const ring = this.#ring;
    while (this.#length > 0) {
      const head = ring[this.#head] as QueuedRequest;
      if (head.closed) {
        this.#shift();
        this.abandoned++;
        continue;
      }
      if (now - head.queuedAt < this.timeoutMs) break;
      this.#shift();
      this.timedOut++;
      head.expire();
    }
    if (this.#length > 0 && this.#onTick !== null) this.#onTick();
  }

  /** The recent time between admissions while requests waited (ms); 0 until measured. */
  get admitIntervalMs(): number {
    return this.#admitIntervalMs;
  }

  #stop(): void {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
  }
}
