import { renderCharts, type Bar, type Chart } from './svg-chart';

/** One drill's requests as the hosts drills record them (hosts-support.ts). */
interface Requests {
  attempts: number;
  statuses: Record<string, number>;
  p50_ms: number;
  p99_ms: number;
}

/** The parts of hosts.json the chart draws; every field is optional (a short run has fewer drills). */
export interface HostsResults {
  memory_after_start?: { totalMiB: number; perHost: Record<string, number> };
  kafka_broker_partition?: { host: string; orders: Requests; lost_events: number; duplicate_mails: number };
  shard_server_partition?: {
    host: string;
    other_shard_during_cut: Requests;
    cut_shard_during_cut: Requests;
    refusals_after_breaker_open: Requests;
  };
  app_host_partition?: { host: string; gets: Requests; posts: Requests };
  bucket_rebalance?: { to: string; moving_customer: Requests; other_customers: Requests };
}

/** The request groups of every drill that ran: label, and the group. */
function requestGroups(results: HostsResults): Array<[string, Requests]> {
  const groups: Array<[string, Requests | undefined]> = [
    [`orders, ${results.kafka_broker_partition?.host ?? ''} cut`, results.kafka_broker_partition?.orders],
    ['orders, the other shard', results.shard_server_partition?.other_shard_during_cut],
    [`orders, ${results.shard_server_partition?.host ?? ''} cut`, results.shard_server_partition?.cut_shard_during_cut],
    ['orders, breaker open', results.shard_server_partition?.refusals_after_breaker_open],
    [`browsing, ${results.app_host_partition?.host ?? ''} cut`, results.app_host_partition?.gets],
    [`orders, ${results.app_host_partition?.host ?? ''} cut`, results.app_host_partition?.posts],
    [`orders, bucket moving to ${results.bucket_rebalance?.to ?? ''}`, results.bucket_rebalance?.moving_customer],
    ['orders, other customers', results.bucket_rebalance?.other_customers],
  ];
  return groups.filter((group): group is [string, Requests] => group[1] !== undefined && group[1].attempts > 0);
}

/**
 * hosts.svg beside hosts.json: memory per host, the latency of each drill's requests while its
 * host was cut off (p50 and p99), and how those requests were answered (2xx, 503 refusals,
 * other errors). Dependency-free SVG from the lab's chart module.
 */
export function renderHostsChart(results: HostsResults): string {
  const charts: Chart[] = [];
  const memory = results.memory_after_start;
  if (memory)
    charts.push({
      title: `Memory per host after start (${memory.totalMiB} MiB in all)`,
      unit: 'MiB',
      bars: Object.entries(memory.perHost).map(([label, value]) => ({ label, value })),
      lowerIsBetter: true,
    });
  const groups = requestGroups(results);
  if (groups.length > 0) {
    charts.push({
      title: 'Latency during each drill',
      unit: 'ms',
      bars: groups.flatMap(([label, group]): Bar[] => [
        { label, value: group.p50_ms, series: 'p50' },
        { label, value: group.p99_ms, series: 'p99' },
      ]),
      lowerIsBetter: true,
    });
    charts.push({
      title: 'How those requests were answered',
      unit: 'requests',
      bars: groups.flatMap(([label, group]): Bar[] => {
        const count = (match: (status: number) => boolean) =>
          Object.entries(group.statuses).reduce((sum, [status, n]) => (match(Number(status)) ? sum + n : sum), 0);
        return [
          { label, value: count((status) => status >= 200 && status < 300), series: 'served (2xx)' },
          { label, value: count((status) => status === 503), series: 'refused (503 + Retry-After)' },
          { label, value: count((status) => status !== 503 && (status < 200 || status >= 300)), series: 'failed (other)' },
        ];
      }),
    });
  }
  return renderCharts('Many hosts: real network faults between network namespaces', charts);
}
