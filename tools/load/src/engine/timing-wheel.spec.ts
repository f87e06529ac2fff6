import { TimingWheel } from './timing-wheel';

function collect(wheel: TimingWheel, now: number): number[] {
  const fired: number[] = [];
  wheel.advance(now, (id) => fired.push(id));
  return fired;
}

describe('TimingWheel', () => {
  it('fires each id once its time has come, not before', () => {
    const wheel = new TimingWheel({ capacity: 10, tickMs: 10, slots: 16 });
    wheel.schedule(1, 25);
    wheel.schedule(2, 60);
    wheel.schedule(3, 61);
    expect(wheel.pending).toBe(3);
    expect(collect(wheel, 24)).toEqual([]);
    expect(collect(wheel, 30)).toEqual([1]);
    expect(collect(wheel, 59)).toEqual([]);
    expect(collect(wheel, 65)).toEqual([2]);
    expect(collect(wheel, 70)).toEqual([3]);
    expect(wheel.pending).toBe(0);
    expect(wheel.isScheduled(2)).toBe(false);
  });

  it('keeps entries further away than one turn until their own turn', () => {
    const wheel = new TimingWheel({ capacity: 4, tickMs: 10, slots: 8 });
    // 80 ms is one full turn: these three share a slot.
    wheel.schedule(0, 30);
    wheel.schedule(1, 110);
    wheel.schedule(2, 190);
    expect(collect(wheel, 35)).toEqual([0]);
    expect(collect(wheel, 105)).toEqual([]);
    expect(collect(wheel, 115)).toEqual([1]);
    expect(collect(wheel, 199)).toEqual([2]);
  });

  it('fires everything overdue after a pause longer than a turn', () => {
    const wheel = new TimingWheel({ capacity: 100, tickMs: 5, slots: 8 });
    for (let id = 0; id < 100; id++) wheel.schedule(id, id * 7);
    const fired = collect(wheel, 10_000);
    expect(fired.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, id) => id));
    expect(wheel.pending).toBe(0);
  });

  it('puts an id scheduled in the past on the next tick', () => {
    const wheel = new TimingWheel({ capacity: 2, tickMs: 10, slots: 8, startMs: 1_000 });
    wheel.schedule(0, 500);
    expect(collect(wheel, 1_005)).toEqual([]);
    expect(collect(wheel, 1_010)).toEqual([0]);
  });

  it('lets a fired id schedule itself again, one turn ahead in the same slot', () => {
    const wheel = new TimingWheel({ capacity: 2, tickMs: 10, slots: 4 });
    wheel.schedule(0, 10);
    wheel.schedule(1, 10);
    const fired: number[] = [];
    wheel.advance(10, (id) => {
      fired.push(id);
      if (id === 0) wheel.schedule(0, 50);
    });
    expect(fired).toEqual([0, 1]);
    expect(wheel.pending).toBe(1);
    expect(collect(wheel, 40)).toEqual([]);
    expect(collect(wheel, 50)).toEqual([0]);
  });

  it('refuses an id scheduled twice or out of range', () => {
    const wheel = new TimingWheel({ capacity: 2 });
    wheel.schedule(0, 100);
    expect(() => wheel.schedule(0, 200)).toThrow('already scheduled');
    expect(() => wheel.schedule(2, 100)).toThrow('outside 0..1');
  });

  it('drops every pending id on clear', () => {
    const wheel = new TimingWheel({ capacity: 3, tickMs: 1 });
    wheel.schedule(0, 5);
    wheel.schedule(1, 6);
    wheel.clear();
    expect(wheel.pending).toBe(0);
    expect(collect(wheel, 100)).toEqual([]);
    wheel.schedule(0, 200);
    expect(collect(wheel, 200)).toEqual([0]);
  });

  it('handles 10,000 ids spread over a minute, each firing once, never early and at most a tick late', () => {
    const wheel = new TimingWheel({ capacity: 10_000, tickMs: 5 });
    const due = new Float64Array(10_000);
    for (let id = 0; id < 10_000; id++) {
      due[id] = (id * 6_007) % 60_000;
      wheel.schedule(id, due[id]);
    }
    const seen = new Uint8Array(10_000);
    let early = 0;
    let late = 0;
    for (let now = 0; now <= 60_100; now += 37) {
      wheel.advance(now, (id) => {
        if (due[id] > now) early += 1;
        // Due after the previous advance (37 ms ago), give or take one 5 ms tick.
        if (due[id] <= now - 37 - 5) late += 1;
        seen[id] += 1;
      });
    }
    expect({ early, late }).toEqual({ early: 0, late: 0 });
    expect(seen.every((count) => count === 1)).toBe(true);
  });
});
