import type { LatencyHistogram } from '../engine/histogram';
import type { CpuUsage, EndpointResult, LatencySummary, TargetCheck, TimelinePoint } from './load-result';

export function latencySummary(histogram: LatencyHistogram): LatencySummary {
  const ms = (micros: number) => Math.round(micros / 10) / 100;
  return {
    p50: ms(histogram.percentile(50)),
    p95: ms(histogram.percentile(95)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    mean: ms(histogram.mean),
  };
}

/** Per process group: average and peak CPU over the hold phase's samples. */
/** The load tool's own process, as the monitor and the CPU table name it. */
export const GENERATOR = 'load generator';

export function cpuDuringHold(timeline: readonly TimelinePoint[], kinds: ReadonlyMap<string, 'shop' | 'harness'>): CpuUsage[] {
  const hold = timeline.filter((point) => point.phase === 'hold' && point.cpu !== undefined);
  if (hold.length === 0) return [];
  const usage: CpuUsage[] = [];
  const names = new Set(hold.flatMap((point) => Object.keys(point.cpu ?? {})));
  const series = (pick: (point: TimelinePoint) => number | undefined) =>
    hold.map(pick).filter((value): value is number => value !== undefined);
  const add = (name: string, kind: CpuUsage['kind'], values: number[]) => {
    if (values.length === 0) return;
    usage.push({ name, kind, average: round(values.reduce((a, b) => a + b, 0) / values.length), peak: round(Math.max(...values)) });
  };
  for (const name of names)
    add(
      name,
      kinds.get(name) ?? 'shop',
      series((point) => point.cpu?.[name]),
    );
  if (!names.has(GENERATOR))
    add(
      GENERATOR,
      'harness',
      series((point) => point.generatorCpu),
    );
  add(
    'other (not the shop)',
    'other',
    series((point) => point.otherCpu),
  );
  return usage.sort((a, b) => b.average - a.average);
}

export function machineCpuDuringHold(timeline: readonly TimelinePoint[]): number | null {
  const values = timeline
    .filter((point) => point.phase === 'hold' && point.machineCpu !== undefined)
    .map((point) => point.machineCpu as number);
  return values.length === 0 ? null : round(values.reduce((a, b) => a + b, 0) / values.length);
}

const SINGLE_THREADED = /^(api|balancer|media-worker|mailer|reports|payment-sim|redis|smtp-sink)/;

/**
 * Where the limit is, in sentences: is the machine out of CPU, which process is saturated
 * (a Node process or Redis runs its work on one core, so ~100% of one core is its ceiling),
 * was the load generator itself the bottleneck, and how much did other work on the machine
 * take.
 */
export function findLimit(input: {
  cpu: readonly CpuUsage[];
  machineCpu: number | null;
  cores: number;
  generatorEventLoopP99Max: number;
  checksMet: boolean;
}): string[] {
  const { cpu, machineCpu, cores, checksMet } = input;
  if (cpu.length === 0 || machineCpu === null) return ['Process CPU was not measured (--no-monitor, or no hold phase).'];
  const lines: string[] = [];
  const capacity = cores * 100;
  const top = cpu.filter((usage) => usage.average >= 1).slice(0, 7);
  lines.push(
    `CPU during the hold (average, % of one core; this machine has ${capacity}%): ${top.map((usage) => `${usage.name} ${usage.average}%`).join(', ')}; machine total ${machineCpu}%.`,
  );
  const machineSaturated = machineCpu >= capacity * 0.9;
  if (machineSaturated)
    lines.push(
      `The machine's CPU was the limit: its ${cores} cores were ${Math.round((machineCpu / capacity) * 100)}% busy, so every process waited for a core; more users need more cores (or less CPU per request).`,
    );
  for (const usage of cpu) {
    if (usage.kind !== 'shop') continue;
    if (SINGLE_THREADED.test(usage.name) && usage.average >= 85)
      lines.push(
        `${usage.name} ran at ${usage.average}% of one core: its single thread was saturated; it is a bottleneck (more instances, or less work per request in it).`,
      );
  }
  const generator = cpu.find((usage) => usage.name === GENERATOR);
  const delay = Math.round(input.generatorEventLoopP99Max);
  if (generator && generator.average >= 85) {
    lines.push(
      `The load generator was itself busy (${generator.average}% of a core, event-loop delay p99 up to ${delay} ms): part of the latency is its own; run it with fewer users or on another machine.`,
    );
  } else if (generator && delay >= 100) {
    lines.push(
      `The load generator used only ${generator.average}% of a core, but its event loop was late by up to ${delay} ms (p99 of a second): it waited for a CPU like every other process${machineSaturated ? ' on the saturated machine' : ''}, and the latencies include that wait.`,
    );
  }
  const other = cpu.find((usage) => usage.kind === 'other');
  if (other && other.average >= 20)
    lines.push(
      `Other work on this machine (not the shop, not the load tool) used ${other.average}% of a core on average: the machine was shared, so these numbers are pessimistic.`,
    );
  if (!machineSaturated && lines.length === 1)
    lines.push(
      checksMet
        ? 'No process was saturated: the shop had CPU to spare at this load.'
        : 'No process was saturated on CPU: look at the errors and their samples (rate limits, timeouts, a dependency) for the limit.',
    );
  return lines;
}

export function targetChecks(input: {
  p99Ms: number;
  targetP99Ms: number;
  errors: number;
  requests: number;
  shopRssBytes: number | null;
  shopPssBytes: number | null;
  memoryTargetBytes: number;
  vusReached: number;
  vus: number;
}): TargetCheck[] {
  const checks: TargetCheck[] = [
    {
      name: 'p99 latency at full load',
      target: `< ${input.targetP99Ms} ms`,
      actual: `${formatMs(input.p99Ms)} ms`,
      met: input.p99Ms < input.targetP99Ms,
    },
    {
      name: 'errors',
      target: '0',
      actual: `${input.errors.toLocaleString('en-US')} of ${input.requests.toLocaleString('en-US')}`,
      met: input.errors === 0,
    },
    {
      name: 'virtual users reached',
      target: input.vus.toLocaleString('en-US'),
      actual: input.vusReached.toLocaleString('en-US'),
      met: input.vusReached >= input.vus,
    },
  ];
  const memory = (name: string, bytes: number | null) => {
    if (bytes !== null)
      checks.push({
        name,
        target: `< ${formatMiB(input.memoryTargetBytes)}`,
        actual: formatMiB(bytes),
        met: bytes < input.memoryTargetBytes,
      });
  };
  // Summed RSS counts shared pages once per process (PostgreSQL's shared buffers in every
  // backend); summed PSS counts them once. Both are shown: the first is the stated target.
  memory('shop memory under load, RSS of every process summed', input.shopRssBytes);
  memory('shop memory under load, PSS summed (shared pages counted once)', input.shopPssBytes);
  return checks;
}

/** A latency for people: 0.85, 12.3, 187 (ms). */
export function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

export function formatMiB(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** What the most frequent kinds of failure were, with what the shop said and what it usually means. */
export function explainErrors(endpoints: readonly EndpointResult[]): string[] {
  const failures = new Map<string, { count: number; sample: string }>();
  for (const endpoint of endpoints) {
    for (const [outcome, count] of Object.entries(endpoint.failures)) {
      const entry = failures.get(outcome) ?? { count: 0, sample: endpoint.errorSamples[outcome] ?? '' };
      entry.count += count;
      failures.set(outcome, entry);
    }
  }
  const total = [...failures.values()].reduce((sum, entry) => sum + entry.count, 0);
  if (total === 0) return [];
  return [...failures]
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, 3)
    .map(([outcome, { count, sample }]) => {
      const text = sample.replace(/\s+/g, ' ').trim().slice(0, 140);
      const meaning = meaningOf(outcome, text);
      return `${count.toLocaleString('en-US')} of the ${total.toLocaleString('en-US')} errors were ${outcome}${text ? ` ("${text}")` : ''}${meaning ? `: ${meaning}` : ''}.`;
    });
}

function meaningOf(outcome: string, text: string): string {
  if ((outcome === '502' || outcome === '504') && /upstream|peer|Gateway/i.test(text)) {
    return 'the balancer had no api instance to send the request to, or none answered in time: instances are taken out of rotation after failed requests (max_fails) or failed health checks, which happens when they are overloaded';
  }
  if (outcome === '429' && /sign-ups from your address/.test(text))
    return "the api's per-client sign-up limit (TENK_SIGNUP_MAX_PER_CLIENT; the lab shop raises it) turned sign-ups away: more --client-ips, or raise it on the shop under test";
  if (outcome === '429' || (outcome === '503' && /limit|too many/i.test(text)))
    return "the balancer's per-client rate limit turned requests away (more --client-ips spreads users over more addresses)";
  if (outcome === '500')
    return 'the api failed; the body has a request id to look up in .tenk/logs/api-*.log (.tenk/logs/lab/api-*.log for --start-shop)';
  if (outcome === '503')
    return 'the shop said it was unavailable (a dependency down or a breaker open); Retry-After says when to come back';
  if (outcome.includes('TIMEOUT')) return 'no answer within --timeout';
  if (outcome === 'ECONNREFUSED') return 'nothing listened at the URL (a process down)';
  if (outcome === 'ECONNRESET' || outcome === 'UND_ERR_SOCKET') return 'connections were cut mid-request';
  return '';
}

/** The hold's seconds when other work on the machine was light: how the shop did when it had the machine. */
export interface QuietWindows {
  seconds: number;
  holdSeconds: number;
  throughput: number;
  errors: number;
  p50Median: number;
  p99Median: number;
  p99Max: number;
}

/** At most this much CPU (% of one core) used by other work for a second to count as quiet. */
export const QUIET_OTHER_CPU = 25;

export function quietWindows(timeline: readonly TimelinePoint[]): QuietWindows | null {
  const hold = timeline.filter((point) => point.phase === 'hold');
  const quiet = hold.filter((point) => point.otherCpu !== undefined && point.otherCpu < QUIET_OTHER_CPU && point.requests > 0);
  if (quiet.length < 5 || quiet.length === hold.length) return null;
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  return {
    seconds: quiet.length,
    holdSeconds: hold.length,
    throughput: round(quiet.reduce((sum, point) => sum + point.requests, 0) / quiet.length),
    errors: quiet.reduce((sum, point) => sum + point.errors, 0),
    p50Median: round(median(quiet.map((point) => point.p50))),
    p99Median: round(median(quiet.map((point) => point.p99))),
    p99Max: round(Math.max(...quiet.map((point) => point.p99))),
  };
}

export function describeQuietWindows(quiet: QuietWindows): string {
  return `In the ${quiet.seconds} of ${quiet.holdSeconds} seconds of the hold when other work used under ${QUIET_OTHER_CPU}% of a core, the shop served ${quiet.throughput.toLocaleString('en-US')} responses/s with a per-second p99 of ${formatMs(quiet.p99Median)} ms (median; worst ${formatMs(quiet.p99Max)} ms) and ${quiet.errors.toLocaleString('en-US')} errors: closer to what a quiet machine would show.`;
}
