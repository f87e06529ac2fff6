import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Client } from 'pg';
import { createScratchDatabases } from '@tenk/database';
import { uniqueName } from '@tenk/testing';
import type { Experiment, LabContext, LabResult } from '../experiment';
import { interleaved, median, quote, roundsFor, summarize, type Row } from '../repeats';

interface Settings {
  orders: number;
  customers: number;
  queries: number;
}

interface Phase {
  label: string;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** The plan's access to `orders`, e.g. "Parallel Seq Scan" or "Index Scan using ...". */
  access: string;
  /** Rows PostgreSQL looked at and threw away to find one customer's orders. */
  rowsRemovedByFilter: number;
  /** 8 KiB pages touched (from cache or disk) by one query. */
  buffers: number;
  /** Statements of this phase the slow query log recorded, and the slowest it shows. */
  slowLogged: number;
  slowLogSample: string;
  /** pg_stat_statements' mean for the statement. */
  meanMs: number;
}

/**
 * `npm run lab -- indexes`: the query behind GET /customers/:id/orders ("this customer's
 * newest orders") on a shard-shaped table of about a million orders, first without the index it
 * needs, then with it: per-query latency, the plan (a scan of the whole table vs an index
 * scan), rows thrown away, pages touched, and what the slow query log and pg_stat_statements
 * recorded. The two phases are interleaved over `--rounds` rounds (3): the index is built
 * (CREATE INDEX CONCURRENTLY, timed) before each "with index" phase and dropped after it; each
 * figure is the median, with its spread. The table is in a scratch database; the shop's shards
 * are not touched.
 */
export const indexesExperiment: Experiment = {
  name: 'indexes',
  summary:
    "a customer's newest orders on ~1M rows without and with (customer_id, created_at) index: latency, plan, rows scanned, slow query log",
  async run(context: LabContext): Promise<LabResult> {
    const settings: Settings = {
      orders: context.option('orders', context.quick ? 100_000 : 1_000_000),
      customers: context.option('customers', context.quick ? 5_000 : 50_000),
      queries: context.option('queries', context.quick ? 10 : 40),
    };
    const run = uniqueName('lab_indexes');
    const scratch = await createScratchDatabases(context.config, { name: run, shards: 1 });
    const { primary, user, password } = scratch.config.postgres;
    const client = new Client({ host: primary.host, port: primary.port, user, password, database: scratch.shards[0] });
    const stats = new Client({ host: primary.host, port: primary.port, user, password, database: context.config.postgres.catalogDatabase });
    await Promise.all([client.connect(), stats.connect()]);
    try {
      await client.query('DROP INDEX orders_customer_recent_idx');
      const loadStarted = Date.now();
      context.log(
        `loading ${settings.orders.toLocaleString('en-US')} orders of ${settings.customers.toLocaleString('en-US')} customers into ${scratch.shards[0]} (no customer index)`,
      );
      await client.query(
        `INSERT INTO orders (id, bucket, customer_id, status, currency, total_cents, payment_authorization_id, reservation_id, created_at)
         SELECT format('ord_%s_%s', lpad(to_hex(i % 256), 3, '0'), lpad(i::text, 26, '0')), i % 256,
                md5('customer-' || (i % $2))::uuid, 'placed', 'EUR', 500 + i % 20000, 'auth_lab', md5('hold-' || i)::uuid,
                timestamptz '2026-01-01' + (i * interval '31 seconds')
         FROM generate_series(1, $1::int) AS i`,
        [settings.orders, settings.customers],
      );
      await client.query('VACUUM ANALYZE orders');
      const [{ bytes }] = (await client.query<{ bytes: string }>(`SELECT pg_total_relation_size('orders') AS bytes`)).rows;
      context.log(
        `loaded in ${((Date.now() - loadStarted) / 1000).toFixed(1)} s; orders is ${(Number(bytes) / 2 ** 20).toFixed(0)} MiB with its indexes`,
      );

      const customers = Array.from({ length: settings.queries }, (_, i) => `customer-${(i * 7919) % settings.customers}`);
      const indexSeconds: number[] = [];
      const phases = await interleaved(
        roundsFor(context),
        ['no index', 'with index'] as const,
        async (label, round) => {
          if (label === 'no index') return phase(context, client, stats, scratch.shards[0], label, `${run}_before_${round}`, customers);
          const indexStarted = Date.now();
          await client.query('CREATE INDEX CONCURRENTLY orders_customer_recent_idx ON orders (customer_id, created_at DESC, id DESC)');
          indexSeconds.push((Date.now() - indexStarted) / 1000);
          context.log(`CREATE INDEX CONCURRENTLY took ${indexSeconds[indexSeconds.length - 1].toFixed(1)} s (writes keep going meanwhile)`);
          const result = await phase(context, client, stats, scratch.shards[0], label, `${run}_after_${round}`, customers);
          await client.query('DROP INDEX orders_customer_recent_idx');
          return result;
        },
        context.log,
      );
      return report(settings, phases['no index'], phases['with index'], indexSeconds, Number(bytes), context.config.postgres.slowQueryMs);
    } finally {
      await Promise.all([client.end(), stats.end()]);
      await scratch.drop();
    }
  },
};

/** The GET /customers/:id/orders query (apps/api/src/orders/orders.repository.ts), tagged so the logs can be searched for it. */
function customerOrders(tag: string): string {
  return `/* ${tag} */ SELECT o.id, o.customer_id, o.status, o.currency, o.total_cents, o.created_at,
    (SELECT json_agg(json_build_object('product_id', l.product_id::text, 'quantity', l.quantity) ORDER BY l.line_no) FROM order_lines l WHERE l.order_id = o.id) AS lines
    FROM orders o WHERE o.customer_id = md5($1)::uuid ORDER BY o.created_at DESC, o.id DESC LIMIT 20`;
}

/** `stats`: a connection to a database where the pg_stat_statements view is installed (the catalog). */
async function phase(
  context: LabContext,
  client: Client,
  stats: Client,
  database: string,
  label: string,
  tag: string,
  customers: string[],
): Promise<Phase> {
  const sql = customerOrders(tag);
  const started = new Date();
  const statsBefore = await statementTotals(stats, database);
  // One query to warm the cache, as a running shop would have.
  await client.query(sql, [customers[0]]);
  const latencies: number[] = [];
  for (const customer of customers) {
    const t0 = performance.now();
    await client.query(sql, [customer]);
    latencies.push(performance.now() - t0);
  }
  const statsAfter = await statementTotals(stats, database);
  const calls = statsAfter.calls - statsBefore.calls;
  const [{ 'QUERY PLAN': plans }] = (await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, [customers[1]])).rows as Array<{
    'QUERY PLAN': Array<{ Plan: PlanNode }>;
  }>;
  const scan = findScan(plans[0].Plan);
  const slow = await slowLogEntries(context, tag, started);
  latencies.sort((a, b) => a - b);
  const result: Phase = {
    label,
    p50Ms: round(latencies[Math.floor(latencies.length * 0.5)]),
    p95Ms: round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.95))]),
    maxMs: round(latencies[latencies.length - 1]),
    access: scan ? `${scan['Node Type']}${scan['Index Name'] ? ` using ${scan['Index Name']}` : ''}` : 'unknown',
    rowsRemovedByFilter: sumOver(plans[0].Plan, 'Rows Removed by Filter'),
    buffers: (plans[0].Plan['Shared Hit Blocks'] ?? 0) + (plans[0].Plan['Shared Read Blocks'] ?? 0),
    slowLogged: slow.count,
    slowLogSample: slow.sample,
    meanMs: round(calls > 0 ? (statsAfter.totalMs - statsBefore.totalMs) / calls : 0),
  };
  context.log(
    `${label}: p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms; plan ${result.access}; ${result.rowsRemovedByFilter} rows thrown away; ${result.buffers} pages; slow query log: ${result.slowLogged} of ${customers.length + 1}`,
  );
  return result;
}

/**
 * pg_stat_statements' calls and total time for the customer-orders statement in `database`.
 * Comments do not change a statement's identity there, so both phases share one entry: a
 * phase's mean is the difference of the totals around it.
 */
async function statementTotals(stats: Client, database: string): Promise<{ calls: number; totalMs: number }> {
  const { rows } = await stats.query<{ calls: string; total: number }>(
    `SELECT coalesce(sum(calls), 0) AS calls, coalesce(sum(total_exec_time), 0) AS total FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) AND query LIKE '%FROM orders o WHERE o.customer_id = md5(%' AND query NOT ILIKE 'explain%'`,
    [database],
  );
  return { calls: Number(rows[0].calls), totalMs: Number(rows[0].total) };
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  'Rows Removed by Filter'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** The node that reads `orders`. */
function findScan(node: PlanNode): PlanNode | undefined {
  if (node['Relation Name'] === 'orders') return node;
  for (const child of node.Plans ?? []) {
    const found = findScan(child);
    if (found) return found;
  }
  return undefined;
}

/** A node's figure is per loop (a parallel scan: per process), so it counts once per loop. */
function sumOver(node: PlanNode, key: 'Rows Removed by Filter'): number {
  const own = (node[key] ?? 0) * (node['Actual Loops'] ?? 1);
  return Math.round(own + (node.Plans ?? []).reduce((total, child) => total + sumOver(child, key), 0));
}

/**
 * Lines of the primary's slow query log (log_min_duration_statement) since `since` that carry
 * `tag`: PostgreSQL writes `duration: 123.456 ms  execute <unnamed>: /* tag *\/ SELECT ...`.
 */
async function slowLogEntries(context: LabContext, tag: string, since: Date): Promise<{ count: number; sample: string }> {
  const dir = path.join(context.config.paths.logs, 'postgres-primary');
  let files: string[];
  try {
    files = (await readdir(dir)).filter((name) => name.startsWith('postgresql-') && name.endsWith('.log'));
  } catch {
    return { count: 0, sample: `(no slow query log at ${dir})` };
  }
  let count = 0;
  let slowest = { ms: 0, line: '' };
  for (const name of files) {
    const file = path.join(dir, name);
    if ((await stat(file)).mtime < since) continue;
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      if (!line.includes(`/* ${tag} */`) || !line.includes('duration:') || /EXPLAIN/i.test(line)) continue;
      count += 1;
      const ms = Number(/duration: ([\d.]+) ms/.exec(line)?.[1] ?? 0);
      if (ms > slowest.ms) slowest = { ms, line: line.replace(/\s+/g, ' ').slice(0, 220) };
    }
  }
  return { count, sample: slowest.line || '(none)' };
}

function report(
  settings: Settings,
  beforeRuns: Phase[],
  afterRuns: Phase[],
  indexSeconds: number[],
  tableBytes: number,
  slowQueryMs: number,
): LabResult {
  const row = (phase: Phase): Row => ({
    p50_ms: phase.p50Ms,
    p95_ms: phase.p95Ms,
    max_ms: phase.maxMs,
    pg_stat_statements_mean_ms: phase.meanMs,
    plan: phase.access,
    rows_removed_by_filter: phase.rowsRemovedByFilter,
    pages_touched: phase.buffers,
    slow_query_log_entries: phase.slowLogged,
    slow_query_log_slowest: phase.slowLogSample,
  });
  // The slowest entry differs every round: keep the first round's, not a list of them.
  const summary = (runs: Phase[]): Row => ({ ...summarize(runs.map(row)), slow_query_log_slowest: runs[0].slowLogSample });
  const before = summary(beforeRuns);
  const after = summary(afterRuns);
  const speedups = summarize(
    afterRuns.map((phase, index) => ({ speedup_p50: Number((beforeRuns[index].p50Ms / Math.max(0.001, phase.p50Ms)).toFixed(1)) })),
  );
  const indexTimes = indexSeconds.map((seconds) => Number(seconds.toFixed(1)));
  const num = (value: number | string | undefined) => Number(value ?? 0);
  const rounds = afterRuns.length;
  return {
    headline: `a customer's newest orders on ${settings.orders.toLocaleString('en-US')} rows: ${quote(before, 'p50_ms', 'ms')} (${before.plan}) -> ${quote(after, 'p50_ms', 'ms')} (${after.plan}), ${quote(speedups, 'speedup_p50')}x faster; the slow query log caught ${before.slow_query_log_entries} -> ${after.slow_query_log_entries} (median of ${rounds} round${rounds === 1 ? '' : 's'})`,
    measurements: {
      'no index': before,
      'with index': after,
      result: {
        orders: settings.orders,
        customers: settings.customers,
        queries_per_phase: settings.queries,
        table_mib_with_indexes: Number((tableBytes / 2 ** 20).toFixed(0)),
        create_index_concurrently_s: median(indexTimes),
        ...(indexTimes.length > 1
          ? { create_index_concurrently_s_min: Math.min(...indexTimes), create_index_concurrently_s_max: Math.max(...indexTimes) }
          : {}),
        ...speedups,
        slow_query_threshold_ms: slowQueryMs,
      },
    },
    charts: [
      {
        title: `GET /customers/:id/orders query on ${settings.orders.toLocaleString('en-US')} orders`,
        unit: 'ms',
        lowerIsBetter: true,
        bars: [
          { label: 'no index p50', value: num(before.p50_ms), series: 'p50' },
          { label: 'with index p50', value: num(after.p50_ms), series: 'p50' },
          { label: 'no index p95', value: num(before.p95_ms), series: 'p95' },
          { label: 'with index p95', value: num(after.p95_ms), series: 'p95' },
        ],
      },
      {
        title: 'Pages (8 KiB) touched by one query',
        unit: 'pages',
        lowerIsBetter: true,
        bars: [
          { label: 'no index', value: num(before.pages_touched) },
          { label: 'with index', value: num(after.pages_touched) },
        ],
      },
      {
        title: `Queries in the slow query log (over ${slowQueryMs} ms), of ${settings.queries + 1}`,
        unit: 'entries',
        lowerIsBetter: true,
        bars: [
          { label: 'no index', value: num(before.slow_query_log_entries) },
          { label: 'with index', value: num(after.slow_query_log_entries) },
        ],
      },
    ],
    notes: [
      `A scratch shard database with the shop's orders table (migration Orders1795824000100) minus its customer index, loaded with ${settings.orders.toLocaleString('en-US')} orders of ${settings.customers.toLocaleString('en-US')} customers (${Math.round(settings.orders / settings.customers)} each), then VACUUM ANALYZE.`,
      `Each phase runs the query of GET /customers/:id/orders (newest 20 orders, with their lines) for ${settings.queries} customers, one at a time, after one warm-up query; latency is measured by the client. The index is orders_customer_recent_idx (customer_id, created_at DESC, id DESC), built with CREATE INDEX CONCURRENTLY.`,
      `The slow query log is the primary's (log_min_duration_statement = ${slowQueryMs} ms, TENK_PG_SLOW_QUERY_MS) in .tenk/logs/postgres-primary/; its entries are found by a comment tag in the statement.`,
      `${rounds} round${rounds === 1 ? '' : 's'}: no index, then the index built, measured and dropped again, in each; every number is the median of the rounds, <key>_min and <key>_max its spread (slow_query_log_slowest is the first round's). Latencies wander between runs; the plans, rows and pages do not.`,
    ],
  };
}

function round(value: number): number {
  return Number(value.toFixed(2));
}
