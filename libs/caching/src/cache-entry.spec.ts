import { NotFoundException } from '@nestjs/common';
import { asCacheEntry, defaultNotFound, frozenEntry, isFresh, notFoundError, withJitter } from './cache-entry';
import { lastInvalidationMs } from './generations';

describe('withJitter', () => {
  it('spreads a TTL by up to the percentage either way', () => {
    expect(withJitter(1_000, 10, () => 0)).toBe(900);
    expect(withJitter(1_000, 10, () => 1)).toBe(1_100);
    expect(withJitter(1_000, 10, () => 0.5)).toBe(1_000);
    expect(withJitter(1_000, 0, () => 0)).toBe(1_000);
  });
});

describe('cache entries', () => {
  it('are fresh until freshUntil', () => {
    const entry = { kind: 'value' as const, value: 1, storedAt: 0, freshUntil: 100 };
    expect(isFresh(entry, 99)).toBe(true);
    expect(isFresh(entry, 100)).toBe(false);
  });

  it('turn a 404 into a cacheable "not found" and back into the same exception', () => {
    const answer = defaultNotFound(new NotFoundException('product 9 does not exist'));
    expect(answer?.status).toBe(404);
    const error = notFoundError({ kind: 'not-found', status: answer!.status, response: answer!.response, storedAt: 0, freshUntil: 1 });
    expect(error.getStatus()).toBe(404);
    expect(error.getResponse()).toEqual(new NotFoundException('product 9 does not exist').getResponse());
    expect(defaultNotFound(new Error('connection refused'))).toBeUndefined();
  });

  it('read a foreign or corrupt value as a miss', () => {
    expect(asCacheEntry('text')).toBeUndefined();
    expect(asCacheEntry({ kind: 'value', value: 1 })).toBeUndefined();
    expect(asCacheEntry({ kind: 'value', value: 1, storedAt: 1, freshUntil: 2 })).toBeDefined();
  });
});

describe('lastInvalidationMs', () => {
  it('reads invalidations (odd generations) and ignores generations that were only created', () => {
    expect(lastInvalidationMs([2 * 1_000, 2 * 500 + 1])).toBe(500);
    expect(lastInvalidationMs([2 * 1_000])).toBe(0);
    expect(lastInvalidationMs([])).toBe(0);
  });
});

describe('frozenEntry', () => {
  it('freezes the entry and everything in it, so a reader cannot change what the others are served', () => {
    const entry = frozenEntry({
      kind: 'value',
      value: { body: '[]', headers: { 'x-total': '3' }, list: [{ id: 1 }] },
      storedAt: 0,
      freshUntil: 1,
    });
    expect(Object.isFrozen(entry)).toBe(true);
    if (entry.kind !== 'value') throw new Error('a value entry');
    expect(() => {
      (entry.value.headers as Record<string, string>)['x-total'] = '4';
    }).toThrow(TypeError);
    expect(() => (entry.value.list as Array<{ id: number }>).push({ id: 2 })).toThrow(TypeError);
    expect(entry.value.headers['x-total']).toBe('3');
  });
});
