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

/**
 * Load shedding for one process: a timer samples the event loop's pressure and decides, once
 * per interval, which priorities are shed until the next sample. A request then costs one
 * array read (`shouldShed`), so an instance past its bounds answers a new request at once
 * instead of queueing it behind work it cannot finish in time. Requests already in flight
 * are never touched. Framework-free: the HTTP side is `sheddingMiddleware`.
 */
export class LoadShedder {
  readonly settings: LoadShedderSettings;
  readonly bounds: Readonly<Record<(typeof SHED_PRIORITIES)[number], ShedBounds>>;
  /** Indexed like SHED_PRIORITIES: whether that priority is being shed now. */
  readonly #shedding = [false, false, false];
  readonly #source: PressureSource;
  /** The last sample (for metrics and logs). */
  last: PressureSample = { delayMs: 0, utilization: 0 };
  /** Requests refused, indexed like SHED_PRIORITIES. */
  readonly shed = [0, 0, 0];
  /** Intervals during which each priority was shed. */
  readonly sheddingIntervals = [0, 0, 0];
  #listener: ((shedding: readonly boolean[], sample: PressureSample) => void) | null = null;

  constructor(settings: LoadShedderSettings, source: PressureSource = new EventLoopPressure(settings.intervalMs)) {
    this.settings = settings;
    this.#source = source;
    this.bounds = { low: boundsFor('low', settings), normal: boundsFor('normal', settings), high: boundsFor('high', settings) };
  }

  start(): void {
    if (this.settings.enabled) this.#source.start((sample) => this.observe(sample));
  }

  stop(): void {
    this.#source.stop();
    this.#shedding.fill(false);
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
      const shed = sample.delayMs > bounds.delayMs || sample.utilization > bounds.utilization;
      if (shed) this.sheddingIntervals[i]++;
      if (shed !== this.#shedding[i]) changed = true;
      this.#shedding[i] = shed;
    }
    if (changed && this.#listener !== null) this.#listener(this.#shedding, sample);
  }

  /** Whether a new request of this priority is refused now; counts it if so. */
  shouldShed(priority: ShedPriority): boolean {
    if (priority === 'exempt') return false;
    const index = priority === 'low' ? 0 : priority === 'normal' ? 1 : 2;
    if (!this.#shedding[index]) return false;
    this.shed[index]++;
    return true;
  }

  /** Whether this priority is being shed now (metrics, tests). */
  isShedding(priority: (typeof SHED_PRIORITIES)[number]): boolean {
    return this.#shedding[SHED_PRIORITIES.indexOf(priority)];
  }
}
