/**
 * Where orders live, and moving them:
 *   npm run shards -- map                                 the live shard map, per-shard records, history
 *   npm run shards -- locate <customerId|orderId>         bucket, shard, and what that shard holds
 *   npm run shards -- stats                               orders, customers, size per shard, and the spread
 *   npm run shards -- rebalance --bucket B --to shard_N   move one bucket online (copy, catch up, flip, verify, delete)
 *   npm run shards -- plan --shards shard_0,...,shard_4   the fewest moves to spread the buckets over those shards
 */
import { isConfigError, loadConfig } from '@tenk/config';
import { locateId, plan, rebalance, showMap, showStats, UsageError } from './commands';
import { CliDatabases } from './shard-databases';
import { parseShardsArgs } from './args';

const USAGE = `usage: npm run shards -- map | locate <customerId|orderId> | stats | rebalance --bucket B --to shard_N | plan --shards a,b,...`;

async function main(): Promise<number> {
  let args: ReturnType<typeof parseShardsArgs>;
  try {
    args = parseShardsArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const db = new CliDatabases(config);
  const print = (line: string) => process.stdout.write(`${line}\n`);
  try {
    switch (args.command) {
      case 'map':
        await showMap(config, db, print);
        return 0;
      case 'locate':
        await locateId(db, args.id, print);
        return 0;
      case 'stats':
        await showStats(db, print);
        return 0;
      case 'rebalance':
        await rebalance(db, args.bucket, args.to, print);
        return 0;
      case 'plan':
        await plan(db, args.shards, print);
        return 0;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`shards: ${isConfigError(error) || error instanceof Error ? (error as Error).message : String(error)}\n`);
    return 1;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`shards: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
