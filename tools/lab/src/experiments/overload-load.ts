import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher } from 'undici';
import { percentile } from './open-loop';

/** One request's fate. `status` 0: no HTTP answer (the client's timeout, a connection error). */
export interface Shot {
  /** When it was sent and when its answer ended, in ms since the load started. */
  sentAtMs: number;
  doneAtMs: number;
  status: number;
}

export interface LoadTarget {
  origin: string;
  /** Each request's path, by its index. */
  path(index: number): string;
  /** The client gives up after this long (status 0). */
  timeoutMs: number;
  /** Spread over this many loopback addresses (127.0.0.2, ...), as shoppers come from many. */
  addresses: number;
}

/** What a load phase cost the generator itself (this process), and whether that makes it the bottleneck. */
export interface GeneratorLoad {
  /** This process's CPU (every thread) over the phase, as % of one core. */
  cpuPct: number;
  /** Past GENERATOR_BOUND_PCT: the generator, not the shop, may have limited what was offered. */
  generatorBound: boolean;
}

/**
 * The generator's core counts as saturated past this: its event loop then sends arrivals late
 * and reads answers late, so what it measures is itself. (Pinned to one core, 100% is all of it.)
 */
export const GENERATOR_BOUND_PCT = 85;

/**
 * A ramp stage in which two of the generator's 5 ms ticks were further apart than this sent its
 * arrivals late and in bursts, whatever its own CPU says (another process had its core): it is
 * flagged generator-bound too.
 */
export const GENERATOR_LATE_MS = 100;

/**
 * The generator's CPU over a phase: `cpuMicros` of process.cpuUsage() in `wallMs` of wall time;
 * `maxTickGapMs` (ramp stages): the longest wait between two of its ticks.
 */
export function generatorLoad(cpuMicros: number, wallMs: number, maxTickGapMs = 0): GeneratorLoad {
  const cpuPct = wallMs <= 0 ? 0 : round(cpuMicros / 10 / wallMs);
  return { cpuPct, generatorBound: cpuPct > GENERATOR_BOUND_PCT || maxTickGapMs > GENERATOR_LATE_MS };
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** Where a load's answers go: one object per load, not a closure per request. */
interface ShotSink {
  done(shot: InFlightShot): void;
}

/**
 * One request: undici's dispatch handler and, once answered, its record (one object, one shape,
 * per request). Timeouts come from the Agent's headers, body and connect timeouts (undici's own
 * timer wheel), not from a timer or AbortSignal per request.
 */
class InFlightShot implements Shot, Dispatcher.DispatchHandler {
  doneAtMs = 0;
  status = 0;
  readonly sentAtMs: number;
  /** The closed loop's client that sent it (-1 in the open loop). */
  readonly client: number;
  readonly #sink: ShotSink;

  constructor(sentAtMs: number, client: number, sink: ShotSink) {
    this.sentAtMs = sentAtMs;
    this.client = client;
    this.#sink = sink;
  }

  onRequestStart(): void {
    // Nothing to keep: the request is on its way.
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(): void {
    // The body is read and dropped: only the status and the time matter here.
  }

  onResponseEnd(): void {
    this.#sink.done(this);
  }

  onResponseError(): void {
    this.status = 0;
    this.#sink.done(this);
  }
}

/** Keep-alive agents, one per loopback address, and the clock every shot is timed by. */
class LoadClients {
  readonly #agents: Agent[];
  readonly #target: LoadTarget;
  readonly #started = performance.now();

  constructor(target: LoadTarget) {
    this.#target = target;
    this.#agents = Array.from(
      { length: target.addresses },
      (_, i) =>
        new Agent({
          keepAliveTimeout: 10_000,
          connectTimeout: target.timeoutMs,
          headersTimeout: target.timeoutMs,
          bodyTimeout: target.timeoutMs,
          localAddress: `127.0.${Math.floor((i + 2) / 250)}.${((i + 2) % 250) + 1}`,
        }),
    );
  }

  /** Milliseconds since this load started. */
  now(): number {
    return performance.now() - this.#started;
  }

  send(index: number, client: number, sink: ShotSink): void {
    const shot = new InFlightShot(this.now(), client, sink);
    const agent = this.#agents[(client < 0 ? index : client) % this.#agents.length];
    agent.dispatch({ origin: this.#target.origin, path: this.#target.path(index), method: 'GET' }, shot);
  }

  async close(): Promise<void> {
    await Promise.all(this.#agents.map((agent) => agent.close()));
  }
}

/**
 * The most requests the open-loop generator keeps open at once: `wanted`, or 40% of this
 * process's open-file limit if that is lower (each open request is a socket here, and one
 * more at the balancer; past the limit the generator itself would fail with EMFILE, which
 * says nothing about the shop). Where the limit cannot be read, `wanted`.
 */
export function inFlightBound(wanted: number, limits = readLimits()): number {
  const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
  return soft === undefined ? wanted : Math.max(1, Math.min(wanted, Math.floor(Number(soft) * 0.4)));
}

function readLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}

/** One stage of a ramp as the generator saw it: what it managed to send, and what it cost it. */
export interface RampStage extends GeneratorLoad {
  /** Arrivals sent per second (the rate asked for, less the unsent ones). */
  offeredPerS: number;
  /** Arrivals not sent because `maxInFlight` requests were open. */
  unsent: number;
  /**
   * The longest wait between two of the generator's 5 ms ticks in the stage: how late (at most)
   * it sent arrivals, which then leave in a burst.
   */
  maxTickGapMs: number;
}

/**
 * How many arrivals a ramp of `rates` (per second, each for `stageMs`) has had `atMs` after it
 * started: the stages before in full, the current one in part; past the end, all of them.
 */
export function arrivalsDue(rates: readonly number[], stageMs: number, atMs: number): number {
  let due = 0;
  for (const [i, rate] of rates.entries()) {
    const inStageMs = Math.min(stageMs, Math.max(0, atMs - i * stageMs));
    due += Math.floor((inStageMs / 1000) * rate);
  }
  return due;
}

/**
 * An open-loop ramp: requests arrive at `rates[i]` per second during stage i (each `stageMs`
 * long), on a 5 ms tick, whatever the answers, as shoppers do: a closed loop would slow its
 * arrivals down as the shop slows and hide the overload. Past `maxInFlight` open requests an
 * arrival is not sent and counted in `unsent` (the generator's own bound, so it stays usable).
 * Each stage also records the generator's own CPU, so a stage it could not offer is flagged.
 */
export async function runRamp(
  target: LoadTarget,
  rates: number[],
  stageMs: number,
  maxInFlight: number,
): Promise<{ shots: Shot[]; unsent: number; stages: RampStage[] }> {
  const clients = new LoadClients(target);
  const shots: Shot[] = [];
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const sink: ShotSink = {
    done(shot) {
      shot.doneAtMs = clients.now();
      shots.push(shot);
      inFlight--;
      if (inFlight === 0) drained?.();
    },
  };
  const stages: RampStage[] = [];
  const total = arrivalsDue(rates, stageMs, rates.length * stageMs);
  let unsent = 0;
  let sent = 0;
  // The stage whose arrivals are being sent, and the one the clock is in (they differ while the
  // generator catches up on a late tick: a stage's arrivals are sent, late, even after it ended).
  let sending = 0;
  let sendingEnds = arrivalsDue(rates, stageMs, stageMs);
  const stageUnsent = rates.map(() => 0);
  let clockStage = 0;
  let stageCpu = cpuMicros();
  let stageAtMs = clients.now();
  let lastTickMs = stageAtMs;
  let maxTickGapMs = 0;
  for (;;) {
    const now = clients.now();
    maxTickGapMs = Math.max(maxTickGapMs, now - lastTickMs);
    lastTickMs = now;
    const due = Math.min(total, arrivalsDue(rates, stageMs, now));
    for (; sent < due; sent++) {
      while (sent >= sendingEnds) sendingEnds = arrivalsDue(rates, stageMs, ++sending * stageMs + stageMs);
      if (inFlight >= maxInFlight) {
        unsent++;
        stageUnsent[sending]++;
        continue;
      }
      inFlight++;
      clients.send(sent, -1, sink);
    }
    const current = Math.min(rates.length, Math.floor(now / stageMs));
    while (clockStage < current) {
      // Every arrival of the stage that just ended has been sent (or counted unsent) by now.
      const arrivals = arrivalsDue(rates, stageMs, (clockStage + 1) * stageMs) - arrivalsDue(rates, stageMs, clockStage * stageMs);
      stages.push({
        // Late ticks with a calm generator: something else had its core, and arrivals left late.
        ...generatorLoad(cpuMicros() - stageCpu, now - stageAtMs, maxTickGapMs),
        offeredPerS: Math.round((arrivals - stageUnsent[clockStage]) / (stageMs / 1000)),
        unsent: stageUnsent[clockStage],
        maxTickGapMs: round(maxTickGapMs),
      });
      clockStage++;
      stageCpu = cpuMicros();
      stageAtMs = now;
      maxTickGapMs = 0;
    }
    if (clockStage >= rates.length) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  await clients.close();
  return { shots, unsent, stages };
}

/**
 * A closed loop: `clients` clients, each sending its next request as soon as the last one is
 * answered, for `durationMs`. With 64 clients it measures what the shop serves flat out (its
 * capacity); with 2,000 it is the hammering crowd of issue 15. `honourRetryAfter`: a refused
 * client waits its Retry-After (stretched by up to half at random, as the storefront does).
 * `generator`: what the phase cost this process, so a capacity it could not drive is flagged.
 */
export async function runClosedLoop(
  target: LoadTarget,
  clients: number,
  durationMs: number,
  honourRetryAfter = false,
): Promise<{ shots: Shot[]; generator: GeneratorLoad }> {
  const load = new LoadClients(target);
  const shots: Shot[] = [];
  const cpuFrom = cpuMicros();
  let next = 0;
  let active = clients;
  let finished: (() => void) | undefined;
  const again = (client: number) => {
    if (load.now() < durationMs) {
      load.send(next++, client, sink);
      return;
    }
    active--;
    if (active === 0) finished?.();
  };
  const sink: ShotSink = {
    done(shot) {
      shot.doneAtMs = load.now();
      shots.push(shot);
      if (honourRetryAfter && shot.status === 503) setTimeout(again, 1000 * (1 + Math.random() / 2), shot.client);
      else again(shot.client);
    },
  };
  const ended = new Promise<void>((resolve) => (finished = resolve));
  for (let client = 0; client < clients; client++) load.send(next++, client, sink);
  await ended;
  const generator = generatorLoad(cpuMicros() - cpuFrom, load.now());
  await load.close();
  return { shots, generator };
}

/** 503 (admission control, shedding) and 429: the shop said "not now" with a Retry-After. */
export function isRefusal(status: number): boolean {
  return status === 503 || status === 429;
}

/** What a set of answers says: goodput, latency of successes and of refusals, everything else. */
export interface Summary {
  sent: number;
  goodputPerS: number;
  okP50Ms: number;
  okP99Ms: number;
  refusedPct: number;
  refusalP50Ms: number;
  refusalP99Ms: number;
  /** No answer in time (the client's timeout) or no connection. */
  timeouts: number;
  /** 5xx other than 503, and any other non-2xx that is not a refusal. */
  otherErrors: number;
}

/**
 * `shots` in the window [fromMs, toMs), over that window's length: by when they ended, or by
 * when they were sent (`bySent`: a ramp's stage, whose last answers may end after it).
 */
export function summarize(shots: readonly Shot[], fromMs: number, toMs: number, bySent = false): Summary {
  const inWindow = shots.filter((shot) => {
    const at = bySent ? shot.sentAtMs : shot.doneAtMs;
    return at >= fromMs && at < toMs;
  });
  const ok = inWindow.filter((shot) => shot.status >= 200 && shot.status < 300).map((shot) => shot.doneAtMs - shot.sentAtMs);
  const refused = inWindow.filter((shot) => isRefusal(shot.status)).map((shot) => shot.doneAtMs - shot.sentAtMs);
  const timeouts = inWindow.filter((shot) => shot.status === 0).length;
  const seconds = Math.max(0.001, (toMs - fromMs) / 1000);
  return {
    sent: inWindow.length,
    goodputPerS: Math.round(ok.length / seconds),
    okP50Ms: round(percentile(ok, 50)),
    okP99Ms: round(percentile(ok, 99)),
    refusedPct: inWindow.length === 0 ? 0 : round((100 * refused.length) / inWindow.length),
    refusalP50Ms: round(percentile(refused, 50), 2),
    refusalP99Ms: round(percentile(refused, 99), 2),
    timeouts,
    otherErrors: inWindow.length - ok.length - refused.length - timeouts,
  };
}

/** How the capacity was read from a closed-loop step: its best window, and what the whole step averaged. */
export interface Capacity {
  /** The capacity: the highest goodput (2xx/s) over `windowS` consecutive whole seconds of the step. */
  perS: number;
  /** The whole step's goodput (2xx/s): below `perS` when the shop warmed up, or was disturbed, during the step. */
  stepMeanPerS: number;
  /** Each whole second's 2xx, from the step's start. */
  perSecond: number[];
  windowS: number;
}

/**
 * A closed loop's capacity: the best `windowS` consecutive whole seconds of 2xx answers (by
 * when they ended), between `fromMs` and `toMs`. A loop with enough clients keeps the shop
 * busy throughout, so its best sustained window is what the shop can serve; the whole step's
 * mean also counts seconds the shop spent warming up (JIT, caches, pools) or lost to another
 * process on this shared machine, and reads low. A window of several seconds, not the best
 * single second, so one lucky second (a burst of answers queued in the one before) does not
 * count. With fewer whole seconds than `windowS`, the whole step.
 */
export function closedLoopCapacity(shots: readonly Shot[], fromMs: number, toMs: number, windowS = 3): Capacity {
  const seconds = Math.max(0, Math.floor((toMs - fromMs) / 1000));
  const perSecond = new Array<number>(seconds).fill(0);
  for (const shot of shots) {
    if (shot.status < 200 || shot.status >= 300) continue;
    const second = Math.floor((shot.doneAtMs - fromMs) / 1000);
    if (second >= 0 && second < seconds) perSecond[second]++;
  }
  const total = perSecond.reduce((sum, count) => sum + count, 0);
  const stepMeanPerS = seconds === 0 ? 0 : Math.round(total / seconds);
  const window = Math.min(windowS, seconds);
  return { perS: bestWindowMean(perSecond, window), stepMeanPerS, perSecond, windowS: window };
}

/** The highest mean of `windowS` consecutive values (per-second counts), rounded; 0 when there are fewer. */
export function bestWindowMean(perSecond: readonly number[], windowS: number): number {
  let best = 0;
  for (let start = 0; start + windowS <= perSecond.length && windowS > 0; start++) {
    let inWindow = 0;
    for (let i = start; i < start + windowS; i++) inWindow += perSecond[i];
    best = Math.max(best, inWindow);
  }
  return windowS <= 0 ? 0 : Math.round(best / windowS);
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
