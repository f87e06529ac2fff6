import { arrivalsDue, GENERATOR_BOUND_PCT, GENERATOR_LATE_MS, generatorLoad, inFlightBound } from './overload-load';

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
