import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ORDER_BUCKET_TABLES } from '@tenk/orders';
import {
  BucketMover,
  bucketOfCustomer,
  createCatalogDataSource,
  createScratchDatabases,
  createShardDataSource,
  loadShardMap,
  newOrderId,
  ShardMap,
  spread,
  type MoveReport,
} from '@tenk/database';
import { uniqueName } from '@tenk/testing';
import type { Experiment, LabContext, LabResult } from '../experiment';

interface Settings {
  buckets: number;
  keys: number;
  customers: number;
  ordersPerCustomer: number;
}

interface Spread {
  counts: number[];
  maxOverMean: number;
  minOverMean: number;
  coefficientOfVariation: number;
}

interface Growth {
  /** Share of keys whose shard changes going from 4 to 5 shards. */
  bucketMap: number;
  modulo: number;
  bucketsMoved: number;
}

interface RealMove {
  orders: number;
  ordersMoved: number;
  buckets: number;
  seconds: number;
  maxFrozenMs: number;
  medianFrozenMs: number;
  after: number[];
}

const FOUR = ['shard_0', 'shard_1', 'shard_2', 'shard_3'];

/**
 * `npm run lab -- shards`: how hash sharding by customer spreads orders over 4 shards, and what
 * growing to 5 costs: with buckets and a shard map only the buckets given to the new shard move
 * (about 1/5 of the data), where `hash % shards` would move about 4/5. Then the same growth for
 * real: orders on 5 scratch shard databases, the 4 -> 5 plan run bucket by bucket with the
 * online mover, counting the orders that moved and how long writers of a bucket waited.
 */
export const shardsExperiment: Experiment = {
  name: 'shards',
  summary:
    'spread of customers over 4 shards, 4 -> 5 shards: share of keys moved with buckets vs modulo, and a real online 4 -> 5 rebalance',
  async run(context: LabContext): Promise<LabResult> {
    const settings: Settings = {
      buckets: context.config.dataRouting.sharding.buckets,
      keys: context.option('keys', context.quick ? 20_000 : 1_000_000),
      customers: context.option('customers', context.quick ? 500 : 5_000),
      ordersPerCustomer: context.option('orders-per-customer', 4),
    };
    const map = evenMap(FOUR, settings.buckets);
    context.log(
      `hashing ${settings.keys.toLocaleString('en-US')} customer ids into ${settings.buckets} buckets over ${FOUR.length} shards`,
    );
    const { spread4, spread5, growth, bucketSpread } = simulate(map, settings);
    context.log(
      `4 -> 5 shards: ${(growth.bucketMap * 100).toFixed(1)}% of keys move with the bucket map, ${(growth.modulo * 100).toFixed(1)}% with modulo`,
    );
    const real = await rebalanceForReal(context, settings);
    return report(settings, spread4, spread5, bucketSpread, growth, real);
  },
};

/** The configured default for 4 shards: equal contiguous ranges of buckets. */
function evenMap(shards: string[], buckets: number): ShardMap {
  return new ShardMap(
    1,
    Array.from({ length: buckets }, (_, bucket) => shards[Math.floor((bucket * shards.length) / buckets)]),
  );
}

function simulate(map: ShardMap, settings: Settings): { spread4: Spread; spread5: Spread; bucketSpread: Spread; growth: Growth } {
  const five = [...FOUR, 'shard_4'];
  let next = map;
  const moves = map.planSpread(five);
  for (const move of moves) next = next.withMove(move.bucket, move.to);
  const perShard4 = new Map<string, number>(FOUR.map((shard) => [shard, 0]));
  const perShard5 = new Map<string, number>(five.map((shard) => [shard, 0]));
  const perBucket = new Array<number>(settings.buckets).fill(0);
  let bucketMoved = 0;
  let moduloMoved = 0;
  for (let i = 0; i < settings.keys; i++) {
    const id = randomUUID();
    const bucket = bucketOfCustomer(id, settings.buckets);
    perBucket[bucket] += 1;
    const before = map.shardOf(bucket);
    const after = next.shardOf(bucket);
    perShard4.set(before, (perShard4.get(before) ?? 0) + 1);
    perShard5.set(after, (perShard5.get(after) ?? 0) + 1);
    if (before !== after) bucketMoved += 1;
    // Modulo placement on the same hash: shard = hash % N.
    const hash = createHash('sha256').update(id).digest().readUInt32BE(0);
    if (hash % 4 !== hash % 5) moduloMoved += 1;
  }
  const toSpread = (counts: number[]): Spread => ({ counts, ...spread(counts) });
  return {
    spread4: toSpread([...perShard4.values()]),
    spread5: toSpread([...perShard5.values()]),
    bucketSpread: toSpread(perBucket),
    growth: { bucketMap: bucketMoved / settings.keys, modulo: moduloMoved / settings.keys, bucketsMoved: moves.length },
  };
}

/** 5 scratch shard databases, the 5th empty; orders for `customers`; then the 4 -> 5 plan, bucket by bucket. */
async function rebalanceForReal(context: LabContext, settings: Settings): Promise<RealMove> {
  const buckets = settings.buckets;
  const quarter = buckets / 4;
  const scratchName = uniqueName('lab_shards');
  const initialMap = FOUR.map((_, index) => `${scratchName}_s${index}:${index * quarter}-${(index + 1) * quarter - 1}`).join(',');
  const scratch = await createScratchDatabases(context.config, { name: scratchName, shards: 5, env: { TENK_SHARD_MAP: initialMap } });
  const sources = new Map<string, DataSource>();
  const catalog = await createCatalogDataSource(scratch.config, 'primary', [], 'lab-shards').initialize();
  try {
    for (const [index, name] of scratch.shards.entries())
      sources.set(name, await createShardDataSource(scratch.config, index, [], 'lab-shards').initialize());
    const map = (await loadShardMap(catalog)) as ShardMap;
    const orders = settings.customers * settings.ordersPerCustomer;
    context.log(
      `writing ${orders.toLocaleString('en-US')} orders of ${settings.customers.toLocaleString('en-US')} customers to 4 of 5 scratch shards`,
    );
    const perShard = new Map<string, Array<{ id: string; bucket: number; customer: string }>>();
    for (let i = 0; i < settings.customers; i++) {
      const customer = randomUUID();
      const bucket = bucketOfCustomer(customer, buckets);
      const shard = map.shardOf(bucket);
      const list = perShard.get(shard) ?? [];
      for (let j = 0; j < settings.ordersPerCustomer; j++) list.push({ id: newOrderId(bucket), bucket, customer });
      perShard.set(shard, list);
    }
    for (const [shard, rows] of perShard) {
      await (sources.get(shard) as DataSource).query(
        `INSERT INTO orders (id, bucket, customer_id, status, currency, total_cents, payment_authorization_id, reservation_id)
         SELECT id, bucket, customer, 'placed', 'EUR', 1000, 'auth_lab', gen_random_uuid() FROM unnest($1::text[], $2::smallint[], $3::uuid[]) AS o(id, bucket, customer)`,
        [rows.map((row) => row.id), rows.map((row) => row.bucket), rows.map((row) => row.customer)],
      );
    }
    const moves = map.planSpread(scratch.shards);
    context.log(
      `moving ${moves.length} buckets to ${scratch.shards[4]} with the online mover (npm run shards -- rebalance, one bucket at a time)`,
    );
    const mover = new BucketMover(
      { catalog, shards: scratch.shards, shard: async (name) => sources.get(name) as DataSource },
      ORDER_BUCKET_TABLES,
    );
    const started = Date.now();
    const reports: MoveReport[] = [];
    for (const move of moves) reports.push(await mover.move(move.bucket, move.to));
    const seconds = (Date.now() - started) / 1000;
    const after: number[] = [];
    for (const name of scratch.shards)
      after.push(
        Number(((await (sources.get(name) as DataSource).query('SELECT count(*) AS n FROM orders')) as Array<{ n: string }>)[0].n),
      );
    const frozen = reports.map((report) => report.frozenMs).sort((a, b) => a - b);
    const moved = reports.reduce((total, report) => total + report.copied.orders, 0);
    context.log(`moved ${moved} of ${orders} orders in ${seconds.toFixed(1)} s; orders per shard now ${after.join(', ')}`);
    return {
      orders,
      ordersMoved: moved,
      buckets: moves.length,
      seconds,
      maxFrozenMs: frozen[frozen.length - 1] ?? 0,
      medianFrozenMs: frozen[Math.floor(frozen.length / 2)] ?? 0,
      after,
    };
  } finally {
    await Promise.all([catalog, ...sources.values()].map((source) => source.destroy()));
    await scratch.drop();
  }
}

function report(settings: Settings, spread4: Spread, spread5: Spread, bucketSpread: Spread, growth: Growth, real: RealMove): LabResult {
  const pct = (value: number) => Number((value * 100).toFixed(1));
  const realShare = real.ordersMoved / real.orders;
  return {
    headline: `4 -> 5 shards moved ${pct(growth.bucketMap)}% of keys with ${settings.buckets} buckets and a shard map vs ${pct(growth.modulo)}% with hash % shards; for real, ${pct(realShare)}% of ${real.orders.toLocaleString('en-US')} orders moved online in ${real.seconds.toFixed(1)} s`,
    measurements: {
      'spread over 4 shards': {
        keys: settings.keys,
        ...Object.fromEntries(spread4.counts.map((count, index) => [`shard_${index}`, count])),
        largest_over_mean: Number(spread4.maxOverMean.toFixed(4)),
        smallest_over_mean: Number(spread4.minOverMean.toFixed(4)),
        coefficient_of_variation_percent: Number((spread4.coefficientOfVariation * 100).toFixed(2)),
      },
      [`spread over ${settings.buckets} buckets`]: {
        mean_keys: Number((settings.keys / settings.buckets).toFixed(1)),
        largest_over_mean: Number(bucketSpread.maxOverMean.toFixed(3)),
        smallest_over_mean: Number(bucketSpread.minOverMean.toFixed(3)),
        coefficient_of_variation_percent: Number((bucketSpread.coefficientOfVariation * 100).toFixed(2)),
      },
      'growing 4 -> 5 shards': {
        buckets_moved: growth.bucketsMoved,
        keys_moved_bucket_map_percent: pct(growth.bucketMap),
        keys_moved_modulo_percent: pct(growth.modulo),
        ideal_percent: 20,
        ...Object.fromEntries(spread5.counts.map((count, index) => [`after_shard_${index}`, count])),
      },
      'real online rebalance 4 -> 5': {
        orders: real.orders,
        orders_moved: real.ordersMoved,
        orders_moved_percent: pct(realShare),
        bucket_moves: real.buckets,
        seconds: Number(real.seconds.toFixed(1)),
        writers_waited_median_ms: real.medianFrozenMs,
        writers_waited_max_ms: real.maxFrozenMs,
        ...Object.fromEntries(real.after.map((count, index) => [`orders_on_shard_${index}_after`, count])),
      },
    },
    charts: [
      {
        title: `Customers per shard (${settings.keys.toLocaleString('en-US')} random customer ids, 256 buckets, 4 shards)`,
        unit: 'customers',
        bars: spread4.counts.map((count, index) => ({ label: `shard_${index}`, value: count })),
      },
      {
        title: 'Keys that change shard going from 4 to 5 shards',
        unit: '%',
        lowerIsBetter: true,
        bars: [
          { label: 'buckets + shard map', value: pct(growth.bucketMap) },
          { label: 'hash % shards', value: pct(growth.modulo) },
          { label: 'real rebalance (orders)', value: pct(realShare) },
        ],
      },
      {
        title: 'Orders per shard after the real 4 -> 5 rebalance',
        unit: 'orders',
        bars: real.after.map((count, index) => ({ label: `shard ${index}`, value: count })),
      },
    ],
    notes: [
      `Customer ids are random v4 uuids; a customer's bucket is the first 32 bits of SHA-256 of the id mod ${settings.buckets}; the map gives each of 4 shards a contiguous range of 64 buckets.`,
      `Growing to 5 shards uses ShardMap.planSpread: each of the 4 shards gives its highest buckets to the new one until all hold 51 or 52 (${growth.bucketsMoved} moves). Modulo is shard = hash % N on the same 32-bit hash.`,
      `The real rebalance: ${real.orders.toLocaleString('en-US')} orders (${settings.ordersPerCustomer} per customer) in 5 scratch shard databases on the shared PostgreSQL server, moved with BucketMover (what \`npm run shards -- rebalance\` runs): copy, catch-up, freeze (the bucket's row locked on the source), verify, flip the map version, delete. "Writers waited" is how long the bucket was frozen.`,
      "The machine is shared (2 cores, other engineers' work): durations wander between runs; the shares of keys moved do not.",
    ],
  };
}
