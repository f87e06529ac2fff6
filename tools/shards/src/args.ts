import { parseArgs } from 'node:util';
import { UsageError } from './commands';

export type ShardsCommand =
  | { command: 'map' }
  | { command: 'stats' }
  | { command: 'locate'; id: string }
  | { command: 'rebalance'; bucket: number; to: string }
  | { command: 'plan'; shards: string[] };

/**
 * `map | locate <id> | stats | rebalance --bucket B --to shard_N | plan --shards a,b,...`,
 * parsed by node:util's parseArgs (strict: an unknown or misspelt option or a missing value is
 * a usage error; `--bucket=3` works too), then checked per command.
 */
export function parseShardsArgs(argv: string[]): ShardsCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  const allowed: Record<string, { options: string[]; positionals: number }> = {
    map: { options: [], positionals: 0 },
    stats: { options: [], positionals: 0 },
    locate: { options: [], positionals: 1 },
    rebalance: { options: ['bucket', 'to'], positionals: 0 },
    plan: { options: ['shards'], positionals: 0 },
  };
  if (!command) throw new UsageError('no command given');
  const shape = allowed[command];
  if (!shape) throw new UsageError(`unknown command "${command}"`);
  const stray = Object.keys(values).find((name) => !shape.options.includes(name));
  if (stray) throw new UsageError(`${command} takes no --${stray}`);
  if (rest.length > shape.positionals) throw new UsageError(`unexpected argument "${rest[shape.positionals]}"`);
  switch (command) {
    case 'locate':
      if (!rest[0]) throw new UsageError('locate needs a customer id (uuid) or an order id');
      return { command, id: rest[0] };
    case 'rebalance': {
      const bucket = values.bucket === undefined || !/^\d+$/.test(values.bucket) ? Number.NaN : Number(values.bucket);
      if (!Number.isInteger(bucket) || !values.to) throw new UsageError('rebalance needs --bucket <number> and --to <shard database>');
      return { command, bucket, to: values.to };
    }
    case 'plan': {
      const shards =
        values.shards
          ?.split(',')
          .map((name) => name.trim())
          .filter(Boolean) ?? [];
      if (shards.length === 0) throw new UsageError('plan needs --shards a,b,... (the shard databases to spread over)');
      return { command, shards };
    }
    default:
      return { command: command as 'map' | 'stats' };
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: { bucket: { type: 'string' }, to: { type: 'string' }, shards: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
}
