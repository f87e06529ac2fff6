import { decodeCursor, encodeCursor } from './keyset-cursor';
import { isShardTimeout, mergeSorted, scatter } from './scatter-gather';

describe('scatter', () => {
  it('runs at most `concurrency` shards at a time and reports each outcome in shard order', async () => {
    let running = 0;
    let peak = 0;
    const outcomes = await scatter(
      ['a', 'b', 'c', 'd', 'e'],
      async (shard) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        if (shard === 'c') throw new Error('c is down');
        return shard.toUpperCase();
      },
      { concurrency: 2, timeoutMs: 1_000 },
    );
    expect(peak).toBe(2);
    expect(outcomes.map((o) => o.shard)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(outcomes.map((o) => (o.ok ? o.value : `error: ${o.error.message}`))).toEqual(['A', 'B', 'error: c is down', 'D', 'E']);
  });

  it('gives up on a shard that hangs, without waiting for it', async () => {
    const outcomes = await scatter(
      ['fast', 'hung'],
      (shard) => (shard === 'hung' ? new Promise<string>(() => undefined) : Promise.resolve('ok')),
      { concurrency: 2, timeoutMs: 30 },
    );
    expect(outcomes[0]).toMatchObject({ ok: true, value: 'ok' });
    expect(outcomes[1].ok).toBe(false);
    expect(!outcomes[1].ok && isShardTimeout(outcomes[1].error)).toBe(true);
  });
});

describe('mergeSorted', () => {
  const byKey = (a: [number, string], b: [number, string]) => a[0] - b[0] || a[1].localeCompare(b[1]);

  it('merges sorted shard pages into the first `limit` rows overall, dropping duplicates', () => {
    const merged = mergeSorted<[number, string]>(
      [
        [
          [1, 'a'],
          [4, 'd'],
          [9, 'x'],
        ],
        [
          [2, 'b'],
          [4, 'd'],
          [5, 'e'],
        ],
        [],
        [
          [3, 'c'],
          [4, 'c2'],
        ],
      ],
      byKey,
      5,
      (row) => row[1],
    );
    expect(merged).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
      [4, 'c2'],
      [4, 'd'],
    ]);
  });
});

describe('keyset cursors', () => {
  it('round-trip and reject what they did not produce', () => {
    const cursor = encodeCursor(['2026-11-28T10:00:00.123Z', 'ord_001_01JDQ4Z5W8M2N6P3R7T9V0X1YB']);
    expect(decodeCursor(cursor, ['string', 'string'])).toEqual(['2026-11-28T10:00:00.123Z', 'ord_001_01JDQ4Z5W8M2N6P3R7T9V0X1YB']);
    expect(decodeCursor(cursor, ['string', 'number'])).toBeUndefined();
    expect(decodeCursor('not base64!', ['string'])).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"a":1}').toString('base64url'), ['string'])).toBeUndefined();
  });
});
