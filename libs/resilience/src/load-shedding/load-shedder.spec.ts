import { IDLE_SAMPLES, LoadShedder, SUSTAINED_SAMPLES, type LoadShedderSettings } from './load-shedder';
import type { PressureSample, PressureSource } from './event-loop-pressure';

class ManualPressure implements PressureSource {
  listener: ((sample: PressureSample) => void) | null = null;
  start(onSample: (sample: PressureSample) => void): void {
    this.listener = onSample;
  }
  stop(): void {
    this.listener = null;
  }
  emit(delayMs: number, utilization: number): void {
    this.listener?.({ delayMs, utilization });
  }
}

const settings: LoadShedderSettings = { enabled: true, delayMs: 100, utilization: 0.99, intervalMs: 100, retryAfterSeconds: 1 };

describe('LoadShedder', () => {
  it('sheds low priority first, high priority last, never exempt, and only until the next calm sample', () => {
    const pressure = new ManualPressure();
    const shedder = new LoadShedder(settings, pressure);
    shedder.start();
    expect(shedder.bounds).toEqual({
      low: { delayMs: 50, utilization: 0.94 },
      normal: { delayMs: 100, utilization: 0.99 },
      high: { delayMs: 400, utilization: Number.POSITIVE_INFINITY },
    });
    expect(SUSTAINED_SAMPLES).toBe(2);

    pressure.emit(60, 0.5);
    pressure.emit(60, 0.5);
    expect(['low', 'normal', 'high', 'exempt'].map((p) => shedder.shouldShed(p as 'low'))).toEqual([true, false, false, false]);
    pressure.emit(150, 0.5);
    pressure.emit(150, 0.5);
    expect(['low', 'normal', 'high'].map((p) => shedder.shouldShed(p as 'low'))).toEqual([true, true, false]);
    // A loop busy all the time but still on time: browsing and the rest are shed, checkout never for that alone.
    pressure.emit(5, 1);
    expect(['low', 'normal', 'high'].map((p) => shedder.shouldShed(p as 'low'))).toEqual([true, true, false]);
    pressure.emit(500, 0.2);
    pressure.emit(500, 0.2);
    expect(shedder.shouldShed('high')).toBe(true);
    expect(shedder.shouldShed('exempt')).toBe(false);
    pressure.emit(2, 0.3);
    expect(['low', 'normal', 'high'].map((p) => shedder.shouldShed(p as 'low'))).toEqual([false, false, false]);
    expect(shedder.shed).toEqual([3, 2, 1]);
  });

  it('sheds nothing for one late sample (a pause, not overload), and counts again from a calm one', () => {
    const pressure = new ManualPressure();
    const shedder = new LoadShedder(settings, pressure);
    shedder.start();
    // A cold instance's first requests, or a garbage collection: one sample far past every bound.
    pressure.emit(900, 1);
    expect(['low', 'normal', 'high'].map((p) => shedder.shouldShed(p as 'low'))).toEqual([false, false, false]);
    // Late, calm, late: never two in a row.
    pressure.emit(3, 0.1);
    pressure.emit(900, 1);
    expect(shedder.isShedding('low')).toBe(false);
    // Still late: overload, shed.
    pressure.emit(900, 1);
    expect(['low', 'normal', 'high'].map((p) => shedder.isShedding(p as 'low'))).toEqual([true, true, true]);
    expect(shedder.sheddingIntervals).toEqual([1, 1, 1]);
  });

  it('tells its listener when the set of shed priorities changes, and does nothing when disabled', () => {
    const pressure = new ManualPressure();
    const shedder = new LoadShedder(settings, pressure);
    const changes: boolean[][] = [];
    shedder.onChange((shedding) => changes.push([...shedding]));
    shedder.start();
    pressure.emit(60, 0);
    pressure.emit(70, 0);
    pressure.emit(80, 0);
    pressure.emit(1, 0);
    expect(changes).toEqual([
      [true, false, false],
      [false, false, false],
    ]);
    const off = new ManualPressure();
    new LoadShedder({ ...settings, enabled: false }, off).start();
    expect(off.listener).toBeNull();
    // Utilization 1 (100%): left out for every priority, only delay counts.
    expect(new LoadShedder({ ...settings, utilization: 1 }, new ManualPressure()).bounds.low.utilization).toBe(Number.POSITIVE_INFINITY);
  });

  it('pauses sampling after IDLE_SAMPLES intervals without a request, sheds nothing meanwhile, and resumes on the next request', () => {
    const pressure = new ManualPressure();
    const shedder = new LoadShedder(settings, pressure);
    const changes: boolean[][] = [];
    shedder.onChange((shedding) => changes.push([...shedding]));
    shedder.start();
    shedder.shouldShed('low');
    pressure.emit(60, 0);
    shedder.shouldShed('low');
    pressure.emit(60, 0);
    expect(shedder.isShedding('low')).toBe(true);
    // Probes are exempt: they do not keep the sampler going.
    for (let i = 0; i < IDLE_SAMPLES - 1; i++) {
      shedder.shouldShed('exempt');
      pressure.emit(60, 0);
    }
    expect(shedder.sampling).toBe(true);
    pressure.emit(60, 0);
    expect(shedder.sampling).toBe(false);
    expect(pressure.listener).toBeNull();
    expect(shedder.isShedding('low')).toBe(false);
    expect(changes).toEqual([
      [true, false, false],
      [false, false, false],
    ]);

    expect(shedder.shouldShed('low')).toBe(false);
    expect(shedder.sampling).toBe(true);
    // Counted afresh after the pause: two late samples again before anything is shed.
    pressure.emit(60, 0);
    expect(shedder.shouldShed('low')).toBe(false);
    pressure.emit(60, 0);
    expect(shedder.shouldShed('low')).toBe(true);
  });

  it('keeps sampling while requests come, and stays stopped after stop()', () => {
    const pressure = new ManualPressure();
    const shedder = new LoadShedder(settings, pressure);
    shedder.start();
    for (let i = 0; i < IDLE_SAMPLES * 3; i++) {
      shedder.shouldShed('normal');
      pressure.emit(1, 0);
    }
    expect(shedder.sampling).toBe(true);
    shedder.stop();
    shedder.shouldShed('normal');
    expect(shedder.sampling).toBe(false);
    expect(pressure.listener).toBeNull();
  });
});
