import { Agent, request } from 'undici';

/** One request of the mixed load: what to send. */
export interface LoadRequest {
  path: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

/** A stream of requests at a fixed arrival rate, whatever the answers: shoppers keep coming. */
export interface LoadStream {
  name: string;
  ratePerSecond: number;
  next(index: number): LoadRequest;
}

/** One request's fate. `status` 0: no HTTP answer (connection error, client timeout). */
export interface Sample {
  stream: string;
  /** When it was sent, in ms since the load started. */
  sentAtMs: number;
  latencyMs: number;
  status: number;
}

export interface OpenLoopOptions {
  /** Requests go to these in turn (the balancer, or the api instances directly). */
  origins: string[];
  /**
   * Distinct client addresses (127.0.0.2, .3, ...): the load comes from many shoppers, not one
   * address, so a per-client rate limit sees what it would see in production.
   */
  clients: number;
  streams: LoadStream[];
  durationMs: number;
  /** The client gives up on a request after this long (status 0). */
  timeoutMs: number;
  /** Per stream: beyond this many requests in flight, new arrivals are counted as failed unsent. */
  maxInFlight: number;
}

export interface OpenLoopResult {
  samples: Sample[];
  /** Arrivals not sent because maxInFlight requests of their stream were still open. */
  unsent: Record<string, number>;
}

/**
 * An open-loop load: each stream sends at its rate on a 10 ms tick, without waiting for
 * answers, as real traffic does. (A closed loop, where each virtual user waits for its answer,
 * would hide the damage: stuck requests would quietly slow the arrivals down.)
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agents = Array.from(
    { length: options.clients },
    (_, i) =>
      new Agent({
        keepAliveTimeout: 10_000,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        localAddress: `127.0.${Math.floor((i + 2) / 250)}.${((i + 2) % 250) + 1}`,
      }),
  );
  const samples: Sample[] = [];
  const unsent: Record<string, number> = Object.fromEntries(options.streams.map((stream) => [stream.name, 0]));
  const inFlight = new Map<string, number>(options.streams.map((stream) => [stream.name, 0]));
  const sent = new Map<string, number>(options.streams.map((stream) => [stream.name, 0]));
  const pending = new Set<Promise<void>>();
  const started = performance.now();

  const send = (stream: LoadStream, index: number) => {
    const sentAtMs = performance.now() - started;
    if ((inFlight.get(stream.name) ?? 0) >= options.maxInFlight) {
      unsent[stream.name]++;
      samples.push({ stream: stream.name, sentAtMs, latencyMs: 0, status: 0 });
      return;
    }
    inFlight.set(stream.name, (inFlight.get(stream.name) ?? 0) + 1);
    const spec = stream.next(index);
    const origin = options.origins[index % options.origins.length];
    const dispatcher = agents[(index * 7 + stream.name.length) % agents.length];
    const done = request(`${origin}${spec.path}`, {
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
      dispatcher,
      signal: AbortSignal.timeout(options.timeoutMs),
    })
      .then(async (response) => {
        await response.body.dump();
        return response.statusCode;
      })
      .catch(() => 0)
      .then((status) => {
        samples.push({ stream: stream.name, sentAtMs, latencyMs: performance.now() - started - sentAtMs, status });
        inFlight.set(stream.name, (inFlight.get(stream.name) ?? 1) - 1);
        pending.delete(done);
      });
    pending.add(done);
  };

  while (performance.now() - started < options.durationMs) {
    const elapsedS = (performance.now() - started) / 1000;
    for (const stream of options.streams) {
      const due = Math.floor(elapsedS * stream.ratePerSecond);
      for (let index = sent.get(stream.name) ?? 0; index < due; index++) send(stream, index);
      sent.set(stream.name, due);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(pending);
  await Promise.all(agents.map((agent) => agent.close()));
  return { samples, unsent };
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** `201:512 503:88`: every answer by status (0: no answer). */
export function statusCounts(samples: Array<{ status: number }>): string {
  const counts = new Map<number, number>();
  for (const { status } of samples) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}:${count}`)
    .join(' ');
}
