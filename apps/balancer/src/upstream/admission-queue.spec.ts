import { AdmissionQueue, type QueuedRequest } from './admission-queue';

class Waiter implements QueuedRequest {
  queuedAt = 0;
  closed = false;
  admitted = 0;
  expired = 0;
  constructor(readonly name: string) {}
  admit(): void {
    this.admitted++;
  }
  expire(): void {
    this.expired++;
  }
}

describe('AdmissionQueue', () => {
  afterEach(() => jest.useRealTimers());

  it('admits first come first served, refuses when full, and wraps around its ring', () => {
    const queue = new AdmissionQueue(2, 1000);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => new Waiter(name));
    expect(queue.offer(a, 0)).toBe(true);
    expect(queue.offer(b, 1)).toBe(true);
    expect(queue.offer(c, 2)).toBe(false);
    expect(queue.full).toBe(1);
    expect(queue.admitNext(10)).toBe(true);
    expect([a.admitted, b.admitted]).toEqual([1, 0]);
    expect(queue.offer(d, 11)).toBe(true);
    queue.admitNext(20);
    queue.admitNext(30);
    expect([b.admitted, d.admitted]).toEqual([1, 1]);
    expect(queue.admitNext(40)).toBe(false);
    expect(queue.length).toBe(0);
    expect(queue.admitted).toBe(3);
    // Waits: a 10, b 19, d 19 (ms).
    expect(queue.waitMsTotal).toBe(48);
  });

  it('skips waiters whose client left, and expires the oldest once they waited the timeout', () => {
    jest.useFakeTimers({ now: 0 });
    const queue = new AdmissionQueue(10, 200);
    const left = new Waiter('left');
    const old = new Waiter('old');
    queue.offer(left, performance.now());
    queue.offer(old, performance.now());
    left.closed = true;
    jest.advanceTimersByTime(100);
    const young = new Waiter('young');
    queue.offer(young, performance.now());
    expect(queue.abandoned).toBe(1);
    jest.advanceTimersByTime(120);
    expect(old.expired).toBe(1);
    expect(young.expired).toBe(0);
    jest.advanceTimersByTime(100);
    expect(young.expired).toBe(1);
    expect(queue.timedOut).toBe(2);
    expect(queue.length).toBe(0);
  });

  it('refuses at once a newcomer that would not be admitted within the timeout at the pace the queue drains', () => {
    const queue = new AdmissionQueue(100, 100);
    const waiters = Array.from({ length: 8 }, (_, i) => new Waiter(`w${i}`));
    // Nobody measured yet: the first waiters join whatever the pace.
    for (const waiter of waiters.slice(0, 4)) expect(queue.offer(waiter, 0)).toBe(true);
    // One admitted every 30 ms.
    queue.admitNext(30);
    queue.admitNext(60);
    expect(queue.admitIntervalMs).toBe(30);
    // 2 waiting: a third would wait ~90 ms (< 100), a fourth ~120 ms: refused now, not in 100 ms.
    expect(queue.offer(waiters[4], 61)).toBe(true);
    expect(queue.offer(waiters[5], 62)).toBe(false);
    expect(queue.tooLong).toBe(1);
    expect(queue.full).toBe(0);
  });
});

describe('AdmissionQueue.refuseNewcomer', () => {
  afterEach(() => jest.useRealTimers());

  it('lets a newcomer pick a peer while nobody waits, and refuses it at once (counted) when the queue is full', () => {
    const queue = new AdmissionQueue(2, 1000);
    expect(queue.refuseNewcomer()).toBeNull();
    queue.offer(new Waiter('a'), 0);
    expect(queue.refuseNewcomer()).toBeNull();
    queue.offer(new Waiter('b'), 1);
    expect(queue.refuseNewcomer()).toBe('full');
    expect(queue.refuseNewcomer()).toBe('full');
    expect(queue.full).toBe(2);
    queue.admitNext(5);
    expect(queue.refuseNewcomer()).toBeNull();
    expect(queue.full).toBe(2);
    queue.clear();
  });

  it('refuses a newcomer that would wait past the timeout at the pace the queue drains', () => {
    const queue = new AdmissionQueue(100, 100);
    for (let i = 0; i < 4; i++) queue.offer(new Waiter(`w${i}`), 0);
    // One admission every 40 ms: a fourth waiter behind the three left would wait 160 ms.
    queue.admitNext(40);
    expect(queue.admitIntervalMs).toBe(40);
    expect(queue.refuseNewcomer()).toBe('too_long');
    expect(queue.tooLong).toBe(1);
    queue.admitNext(80);
    queue.admitNext(120);
    expect(queue.refuseNewcomer()).toBeNull();
    queue.clear();
  });
});
