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

const USAGE = `usage: npm run shards -- map | locate <customerId|orderId> | stats | rebalance --bucket B --to shard_N | plan --shards a,b,...`;

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? undefined : args[index + 1];
}

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  const config = loadConfig();
  const db = new CliDatabases(config);
  const print = (line: string) => process.stdout.write(`${line}\n`);
  try {
    switch (command) {
      case 'map':
        await showMap(config, db, print);
        return 0;
      case 'locate': {
        if (!args[0]) throw new UsageError('locate needs a customer id (uuid) or an order id');
        await locateId(db, args[0], print);
        return 0;
      }
      case 'stats':
        await showStats(db, print);
        return 0;
      case 'rebalance': {
        const bucket = Number(option(args, 'bucket'));
        const to = option(args, 'to');
        if (!Number.isInteger(bucket) || bucket < 0 || !to) throw new UsageError('rebalance needs --bucket <number> and --to <shard database>');
        await rebalance(db, bucket, to, print);
        return 0;
      }
      case 'plan': {
        const shards = option(args, 'shards')?.split(',').map((name) => name.trim()).filter(Boolean);
        if (!shards || shards.length === 0) throw new UsageError('plan needs --shards a,b,... (the shard databases to spread over)');
        await plan(db, shards, print);
        return 0;
      }
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
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
