import { parseShardsArgs } from './args';
import { UsageError } from './commands';

describe('npm run shards -- arguments', () => {
  it('reads each command', () => {
    expect(parseShardsArgs(['map'])).toEqual({ command: 'map' });
    expect(parseShardsArgs(['stats'])).toEqual({ command: 'stats' });
    expect(parseShardsArgs(['locate', 'o_42'])).toEqual({ command: 'locate', id: 'o_42' });
    expect(parseShardsArgs(['rebalance', '--bucket', '7', '--to', 'shard_3'])).toEqual({ command: 'rebalance', bucket: 7, to: 'shard_3' });
    expect(parseShardsArgs(['rebalance', '--bucket=0', '--to=shard_1'])).toEqual({ command: 'rebalance', bucket: 0, to: 'shard_1' });
    expect(parseShardsArgs(['plan', '--shards', 'shard_0, shard_1,,shard_2'])).toEqual({
      command: 'plan',
      shards: ['shard_0', 'shard_1', 'shard_2'],
    });
  });

  it.each([
    [[], 'no command given'],
    [['move'], 'unknown command "move"'],
    [['locate'], 'locate needs a customer id'],
    [['rebalance', '--bucket', '-1', '--to', 'shard_1'], ''],
    [['rebalance', '--bucket', '1.5', '--to', 'shard_1'], 'rebalance needs --bucket'],
    [['rebalance', '--bucket', '3'], 'rebalance needs --bucket'],
    [['rebalance', '--bukcet', '3', '--to', 'shard_1'], ''],
    [['map', '--to', 'shard_1'], 'map takes no --to'],
    [['stats', 'extra'], 'unexpected argument "extra"'],
    [['plan', '--shards'], ''],
    [['plan', '--shards', ' , '], 'plan needs --shards'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseShardsArgs(argv)).toThrow(UsageError);
    expect(() => parseShardsArgs(argv)).toThrow(message);
  });
});
