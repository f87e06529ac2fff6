import {
  arrivalsDue,
  bestWindowMean,
  closedLoopCapacity,
  GENERATOR_BOUND_PCT,
  GENERATOR_LATE_MS,
  generatorLoad,
  inFlightBound,
  type Shot,
} from './overload-load';

describe('inFlightBound', () => {
  const limits = (soft: string) =>
    `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                1048576              files\n`;

  it("keeps the generator under 40% of the process's open-file limit", () => {
    expect(inFlightBound(20_000, limits('20000'))).toBe(8_000);
    expect(inFlightBound(20_000, limits('1024'))).toBe(409);
  });

  it('takes the wanted bound when the limit is higher, or cannot be read', () => {
    expect(inFlightBound(20_000, limits('1048576'))).toBe(20_000);
    expect(inFlightBound(20_000, '')).toBe(20_000);
  });
});

describe('generatorLoad', () => {
  it('says what share of one core the generator used over a phase', () => {
    expect(generatorLoad(500_000, 1_000)).toEqual({ cpuPct: 50, generatorBound: false });
    expect(generatorLoad(3_000_000, 2_000)).toEqual({ cpuPct: 150, generatorBound: true });
  });

  it(`flags a phase past ${GENERATOR_BOUND_PCT}% of a core as generator-bound, and not one at it`, () => {
    expect(generatorLoad(GENERATOR_BOUND_PCT * 10_000, 1_000).generatorBound).toBe(false);
    expect(generatorLoad(GENERATOR_BOUND_PCT * 10_000 + 1_000, 1_000).generatorBound).toBe(true);
  });

  it(`flags a calm generator whose ticks came more than ${GENERATOR_LATE_MS} ms apart (another process had its core)`, () => {
    expect(generatorLoad(50_000, 1_000, GENERATOR_LATE_MS)).toEqual({ cpuPct: 5, generatorBound: false });
    expect(generatorLoad(50_000, 1_000, GENERATOR_LATE_MS + 1)).toEqual({ cpuPct: 5, generatorBound: true });
  });

  it('reads an empty phase as idle', () => {
    expect(generatorLoad(1_000, 0)).toEqual({ cpuPct: 0, generatorBound: false });
  });
});

describe('arrivalsDue', () => {
  const rates = [100, 200, 300];

  it('counts the stages before in full and the current one in part', () => {
    expect(arrivalsDue(rates, 1_000, 0)).toBe(0);
    expect(arrivalsDue(rates, 1_000, 500)).toBe(50);
    expect(arrivalsDue(rates, 1_000, 1_000)).toBe(100);
    expect(arrivalsDue(rates, 1_000, 1_250)).toBe(150);
    expect(arrivalsDue(rates, 1_000, 2_999)).toBe(100 + 200 + 299);
  });

  it('stops at the end of the ramp, however late the clock', () => {
    expect(arrivalsDue(rates, 1_000, 3_000)).toBe(600);
    expect(arrivalsDue(rates, 1_000, 60_000)).toBe(600);
  });
});

describe('closedLoopCapacity', () => {
  /** `counts[i]` 2xx answers ending in second i, plus one refusal and one timeout per second. */
  const shotsOf = (counts: number[]): Shot[] =>
    counts.flatMap((count, second) => [
      ...Array.from({ length: count }, (_, i) => ({ sentAtMs: second * 1000, doneAtMs: second * 1000 + (i % 1000), status: 200 })),
      { sentAtMs: second * 1000, doneAtMs: second * 1000 + 500, status: 503 },
      { sentAtMs: second * 1000, doneAtMs: second * 1000 + 500, status: 0 },
    ]);

  it('takes the best 3 consecutive seconds of 2xx, not the mean of a step that warmed up', () => {
    const capacity = closedLoopCapacity(shotsOf([1_000, 2_000, 2_900, 3_000, 3_100, 2_800]), 0, 6_000);
    expect(capacity.perS).toBe(3_000);
    expect(capacity.stepMeanPerS).toBe(2_467);
    expect(capacity.perSecond).toEqual([1_000, 2_000, 2_900, 3_000, 3_100, 2_800]);
    expect(capacity.windowS).toBe(3);
  });

  it('does not take one lucky second for the capacity', () => {
    expect(closedLoopCapacity(shotsOf([2_000, 2_000, 6_000, 2_000, 2_000]), 0, 5_000).perS).toBe(3_333);
  });

  it('counts only the whole seconds of the window asked for, by when answers ended', () => {
    const shots = shotsOf([500, 1_000, 1_000, 1_000, 9_000]);
    expect(closedLoopCapacity(shots, 1_000, 4_000).perS).toBe(1_000);
    expect(closedLoopCapacity(shots, 1_000, 4_500).perSecond).toEqual([1_000, 1_000, 1_000]);
  });

  it('uses the whole step when it is shorter than the window', () => {
    expect(closedLoopCapacity(shotsOf([1_000, 3_000]), 0, 2_000)).toEqual({
      perS: 2_000,
      stepMeanPerS: 2_000,
      perSecond: [1_000, 3_000],
      windowS: 2,
    });
    expect(closedLoopCapacity([], 0, 500)).toEqual({ perS: 0, stepMeanPerS: 0, perSecond: [], windowS: 0 });
  });
});

describe('bestWindowMean', () => {
  it('gives the best mean of consecutive seconds, and 0 with fewer seconds than the window', () => {
    expect(bestWindowMean([1_000, 3_000, 3_300, 3_000, 2_000], 3)).toBe(3_100);
    expect(bestWindowMean([1_000, 3_000], 3)).toBe(0);
    expect(bestWindowMean([5], 0)).toBe(0);
  });
});
