import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
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

function agents(target: LoadTarget): Agent[] {
  return Array.from(
    { length: target.addresses },
    (_, i) =>
      new Agent({
        keepAliveTimeout: 10_000,
        headersTimeout: target.timeoutMs,
        bodyTimeout: target.timeoutMs,
        localAddress: `127.0.${Math.floor((i + 2) / 250)}.${((i + 2) % 250) + 1}`,
      }),
  );
}

async function send(target: LoadTarget, dispatcher: Agent, index: number): Promise<number> {
  try {
    const response = await request(`${target.origin}${target.path(index)}`, {
      dispatcher,
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    await response.body.dump();
    return response.statusCode;
  } catch {
    return 0;
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

/**
 * An open-loop ramp: requests arrive at `rates[i]` per second during stage i (each `stageMs`
 * long), on a 5 ms tick, whatever the answers, as shoppers do: a closed loop would slow its
 * arrivals down as the shop slows and hide the overload. Past `maxInFlight` open requests an
 * arrival is not sent and counted in `unsent` (the generator's own bound, so it stays usable).
 */
export async function runRamp(
  target: LoadTarget,
  rates: number[],
  stageMs: number,
  maxInFlight: number,
): Promise<{ shots: Shot[]; unsent: number }> {
  const pool = agents(target);
  const shots: Shot[] = [];
  const pending = new Set<Promise<void>>();
  let unsent = 0;
  let sent = 0;
  let due = 0;
  let stage = -1;
  let stageStart = 0;
  const started = performance.now();
  for (;;) {
    const now = performance.now() - started;
    const current = Math.floor(now / stageMs);
    if (current >= rates.length) break;
    if (current !== stage) {
      stage = current;
      stageStart = sent;
    }
    due = stageStart + Math.floor(((now - current * stageMs) / 1000) * rates[current]);
    for (; sent < due; sent++) {
      if (pending.size >= maxInFlight) {
        unsent++;
        continue;
      }
      const index = sent;
      const sentAtMs = performance.now() - started;
      const done = send(target, pool[index % pool.length], index).then((status) => {
        shots.push({ sentAtMs, doneAtMs: performance.now() - started, status });
        pending.delete(done);
      });
      pending.add(done);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
  await Promise.all(pool.map((agent) => agent.close()));
  return { shots, unsent };
}

/**
 * A closed loop: `clients` clients, each sending its next request as soon as the last one is
 * answered, for `durationMs`. With 64 clients it measures what the shop serves flat out (its
 * capacity); with 2,000 it is the hammering crowd of issue 15. `honourRetryAfter`: a refused
 * client waits its Retry-After (stretched by up to half at random, as the storefront does).
 */
export async function runClosedLoop(target: LoadTarget, clients: number, durationMs: number, honourRetryAfter = false): Promise<Shot[]> {
  const pool = agents(target);
  const shots: Shot[] = [];
  const started = performance.now();
  let next = 0;
  const client = async (id: number) => {
    const dispatcher = pool[id % pool.length];
    while (performance.now() - started < durationMs) {
      const sentAtMs = performance.now() - started;
      const status = await send(target, dispatcher, next++);
      shots.push({ sentAtMs, doneAtMs: performance.now() - started, status });
      if (honourRetryAfter && status === 503) await new Promise((resolve) => setTimeout(resolve, 1000 * (1 + Math.random() / 2)));
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, id) => client(id)));
  await Promise.all(pool.map((agent) => agent.close()));
  return shots;
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

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
