import { ProgressParser } from './progress-parser';

describe('ProgressParser', () => {
  it('turns out_time_us into rising whole percentages of the duration, 100 at progress=end', () => {
    const seen: number[] = [];
    const parser = new ProgressParser(10, (percent) => seen.push(percent));
    parser.push('frame=10\nout_time_us=1000000\nout_time_ms=1000000\nprogress=continue\n');
    parser.push('out_time_us=2500000\nprogress=continue\n');
    parser.push('out_time_us=2500000\n'); // no change: no event
    parser.push('out_time_us=10000000\nprogress=continue\nprogress=end\n');
    expect(seen).toEqual([10, 25, 99, 100]);
  });

  it('joins lines split across chunks', () => {
    const seen: number[] = [];
    const parser = new ProgressParser(4, (percent) => seen.push(percent));
    parser.push('out_ti');
    parser.push('me_us=2000');
    parser.push('000\n');
    expect(seen).toEqual([50]);
  });

  it('ignores what it cannot use (N/A times, negative times at start, a zero duration)', () => {
    const seen: number[] = [];
    new ProgressParser(5, (percent) => seen.push(percent)).push('out_time_us=N/A\nout_time_us=-23220\nspeed=N/A\n');
    new ProgressParser(0, (percent) => seen.push(percent)).push('out_time_us=1000\n');
    expect(seen).toEqual([]);
  });
});
