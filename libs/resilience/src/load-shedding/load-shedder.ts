import { EventLoopPressure, type PressureSample, type PressureSource } from './event-loop-pressure';

/**
 * How much a request may be refused under pressure. `exempt` never is (health, readiness,
 * metrics); `low` is shed first (catalog browsing, reports: cheap to retry, nobody loses
 * money), `high` last (checkout, sign-in).
 */
export const SHED_PRIORITIES = ['low', 'normal', 'high'] as const;
export type ShedPriority = (typeof SHED_PRIORITIES)[number] | 'exempt';

export interface LoadShedderSettings {
  enabled: boolean;
  /** Event-loop delay (ms) past which normal requests are shed. */
  delayMs: number;
  /** Event-loop utilization (0..1) past which normal requests are shed; 1 leaves it out. */
  utilization: number;
  intervalMs: number;
  retryAfterSeconds: number;
}

/** A priority's bounds: shed when delay or utilization passes either. */
export interface ShedBounds {
  delayMs: number;
  utilization: number;
}

/**
 * Priorities as bounds derived from the normal ones: low-priority work is shed at half the
 * delay and 5 points less utilization (utilization 1 means "not used"), high-priority work only at four times the delay and
 * never for utilization alone (a busy loop that still answers in time serves checkouts).
 */
export function boundsFor(
  priority: (typeof SHED_PRIORITIES)[number],
  settings: Pick<LoadShedderSettings, 'delayMs' | 'utilization'>,
): ShedBounds {
  switch (priority) {
    case 'low':
      return {
        delayMs: settings.delayMs / 2,
        utilization: settings.utilization >= 1 ? Number.POSITIVE_INFINITY : Math.max(0, settings.utilization - 0.05),
      };
    case 'normal':
      return { delayMs: settings.delayMs, utilization: settings.utilization >= 1 ? Number.POSITIVE_INFINITY : settings.utilization };
    case 'high':
      return { delayMs: settings.delayMs * 4, utilization: Number.POSITIVE_INFINITY };
  }
}

/** Samples in a row without a request (exempt ones aside) after which sampling pauses. */
export const IDLE_SAMPLES = 10;

/**
 * Samples in a row past a priority's bounds before it is shed. One late sample is a pause (a
 * garbage collection, a cold instance compiling its first requests), not overload: the requests
 * that queued behind it are served in a few ms once it ends. Overload keeps the loop late, and
 * is shed one interval later than a single sample would.
 */
export const SUSTAINED_SAMPLES = 2;

/**
 * Load shedding for one process: a timer samples the event loop's pressure and decides, once
 * per interval, which priorities are shed until the next sample: a priority is shed once
 * SUSTAINED_SAMPLES samples in a row passed its bounds, and served again at the first that does not. A request then costs one
 * array read (`shouldShed`), so an instance past its bounds answers a new request at once
 * instead of queueing it behind work it cannot finish in time. Requests already in flight
 * are never touched. Framework-free: the HTTP side is `sheddingMiddleware`.
 *
 * Sampling runs only while requests flow: after IDLE_SAMPLES intervals without one (probes and
 * metrics scrapes are exempt and do not count), the sampler pauses, nothing is shed, and the
 * next request starts it again (its first verdict one interval later, as at boot). An idle
 * instance then wakes for nothing rather than some 110 times a second.
 */
export class LoadShedder {
  readonly settings: LoadShedderSettings;
  readonly bounds: Readonly<Record<(typeof SHED_PRIORITIES)[number], ShedBounds>>;
  /** Indexed like SHED_PRIORITIES: whether that priority is being shed now. */
  readonly #shedding = [false, false, false];
  /** Indexed like SHED_PRIORITIES: samples in a row past that priority's bounds. */
  readonly #pressed = [0, 0, 0];
  readonly #source: PressureSource;
  /** The last sample (for metrics and logs). */
  last: PressureSample = { delayMs: 0, utilization: 0 };
  /** Requests refused, indexed like SHED_PRIORITIES. */
  readonly shed = [0, 0, 0];
  /** Intervals during which each priority was shed. */
  readonly sheddingIntervals = [0, 0, 0];
  #listener: ((shedding: readonly boolean[], sample: PressureSample) => void) | null = null;
  #started = false;
  #sampling = false;
  /** Requests (exempt aside) since the last sample, and samples in a row without any. */
  #requests = 0;
  #quietSamples = 0;

  constructor(settings: LoadShedderSettings, source: PressureSource = new EventLoopPressure(settings.intervalMs)) {
    this.settings = settings;
    this.#source = source;
    this.bounds = { low: boundsFor('low', settings), normal: boundsFor('normal', settings), high: boundsFor('high', settings) };
  }

  start(): void {
    if (!this.settings.enabled || this.#started) return;
    this.#started = true;
    this.#resume();
  }

  stop(): void {
    this.#started = false;
    this.#sampling = false;
    this.#source.stop();
    this.#shedding.fill(false);
    this.#pressed.fill(0);
  }

  /** Whether the sampler runs now (it pauses while no requests come). */
  get sampling(): boolean {
    return this.#sampling;
  }

  /** Called when the set of shed priorities changes (for a log line). */
  onChange(listener: (shedding: readonly boolean[], sample: PressureSample) => void): void {
    this.#listener = listener;
  }

  /** One sample: renews the verdict for every priority until the next one. */
  observe(sample: PressureSample): void {
    this.last = sample;
    let changed = false;
    for (let i = 0; i < SHED_PRIORITIES.length; i++) {
      const bounds = this.bounds[SHED_PRIORITIES[i]];
      const over = sample.delayMs > bounds.delayMs || sample.utilization > bounds.utilization;
      this.#pressed[i] = over ? this.#pressed[i] + 1 : 0;
      const shed = this.#pressed[i] >= SUSTAINED_SAMPLES;
      if (shed) this.sheddingIntervals[i]++;
      if (shed !== this.#shedding[i]) changed = true;
      this.#shedding[i] = shed;
    }
    if (changed && this.#listener !== null) this.#listener(this.#shedding, sample);
  }

  /** Whether a new request of this priority is refused now; counts it if so. */
  shouldShed(priority: ShedPriority): boolean {
    if (priority === 'exempt') return false;
    this.#requests++;
    if (!this.#sampling && this.#started) this.#resume();
    const index = priority === 'low' ? 0 : priority === 'normal' ? 1 : 2;
    if (!this.#shedding[index]) return false;
    this.shed[index]++;
    return true;
  }

  #resume(): void {
    this.#sampling = true;
    this.#quietSamples = 0;
    this.#source.start((sample) => this.#sampled(sample));
  }

  #sampled(sample: PressureSample): void {
    this.observe(sample);
    this.#quietSamples = this.#requests === 0 ? this.#quietSamples + 1 : 0;
    this.#requests = 0;
    if (this.#quietSamples < IDLE_SAMPLES) return;
    // Nobody to shed: pause, and drop any verdict rather than keep it until the next request.
    this.#sampling = false;
    this.#source.stop();
    this.#pressed.fill(0);
    if (this.#shedding.some(Boolean)) {
      this.#shedding.fill(false);
      this.#listener?.(this.#shedding, sample);
    }
  }

  /** Whether this priority is being shed now (metrics, tests). */
  isShedding(priority: (typeof SHED_PRIORITIES)[number]): boolean {
    return this.#shedding[SHED_PRIORITIES.indexOf(priority)];
  }
}
