import { parseDuration } from './duration';
import { Random } from './random';
import { meanThinkTime, parseThinkTime, sampleThinkTime } from './think-time';

describe('durations', () => {
  it('reads ms, s, m, h and bare seconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('30')).toBe(30_000);
    expect(() => parseDuration('soon', '--ramp')).toThrow('--ramp "soon" is not a duration');
  });
});

describe('think time', () => {
  function average(spec: string, draws = 50_000): { mean: number; min: number; max: number } {
    const think = parseThinkTime(spec);
    const random = new Random(5);
    let sum = 0;
    let min = Infinity;
    let max = 0;
    for (let i = 0; i < draws; i++) {
      const value = sampleThinkTime(think, random);
      sum += value;
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    return { mean: sum / draws, min, max };
  }

  it('draws constant, uniform, exponential and lognormal pauses with the stated means', () => {
    expect(average('3s')).toEqual({ mean: 3_000, min: 3_000, max: 3_000 });
    const uniform = average('uniform:5s-15s');
    expect(uniform.mean).toBeGreaterThan(9_900);
    expect(uniform.mean).toBeLessThan(10_100);
    expect(uniform.min).toBeGreaterThanOrEqual(5_000);
    expect(uniform.max).toBeLessThanOrEqual(15_000);
    const exponential = average('exp:10s');
    expect(exponential.mean).toBeGreaterThan(9_700);
    expect(exponential.mean).toBeLessThan(10_200);
    expect(exponential.max).toBeLessThanOrEqual(100_000);
    const think = parseThinkTime('lognormal:8s,0.5');
    const lognormal = average('lognormal:8s,0.5');
    expect(lognormal.mean / meanThinkTime(think)).toBeGreaterThan(0.97);
    expect(lognormal.mean / meanThinkTime(think)).toBeLessThan(1.03);
    expect(average('none').max).toBe(0);
  });

  it('names what is wrong with a bad spec', () => {
    expect(() => parseThinkTime('uniform:5s')).toThrow('uniform:MIN-MAX');
    expect(() => parseThinkTime('uniform:9s-2s')).toThrow('maximum is below the minimum');
    expect(() => parseThinkTime('lognormal:8s')).toThrow('lognormal:MEDIAN,SIGMA');
    expect(() => parseThinkTime('gauss:3s')).toThrow('unknown distribution "gauss"');
  });
});
