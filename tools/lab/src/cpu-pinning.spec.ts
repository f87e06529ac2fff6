import { formatCpuList, parseCpuList, pinOption, processTree, splitCpus } from './cpu-pinning';

describe('parseCpuList', () => {
  it('reads single CPUs and ranges, as taskset and /proc/PID/status write them', () => {
    expect(parseCpuList('0')).toEqual([0]);
    expect(parseCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
    expect(parseCpuList(' 4,1-2,2 \n')).toEqual([1, 2, 4]);
  });

  it('refuses what is not a CPU list, naming it', () => {
    expect(() => parseCpuList('0-')).toThrow('"0-" is not a CPU list');
    expect(() => parseCpuList('3-1')).toThrow('runs backwards');
    expect(() => parseCpuList('')).toThrow('is not a CPU list');
  });
});

describe('formatCpuList', () => {
  it('writes ranges back, sorted, each CPU once', () => {
    expect(formatCpuList([5, 0, 1, 2])).toBe('0-2,5');
    expect(formatCpuList([1])).toBe('1');
    expect(formatCpuList([3, 1, 3])).toBe('1,3');
    expect(formatCpuList(parseCpuList('0-3,7-9'))).toBe('0-3,7-9');
  });
});

describe('splitCpus', () => {
  it('gives the generator the first CPU it may use and the shop all the others', () => {
    expect(splitCpus([0, 1])).toEqual({ generator: [0], shop: [1] });
    expect(splitCpus([3, 1, 2])).toEqual({ generator: [1], shop: [2, 3] });
  });

  it('splits nothing with one CPU', () => {
    expect(splitCpus([0])).toBeNull();
    expect(splitCpus([2, 2])).toBeNull();
  });
});

describe('pinOption', () => {
  it('pins unless told --pin off', () => {
    expect(pinOption(['--quick'])).toBe(true);
    expect(pinOption(['--pin', 'on'])).toBe(true);
    expect(pinOption(['--quick', '--pin', 'off'])).toBe(false);
  });

  it('refuses any other value', () => {
    expect(() => pinOption(['--pin'])).toThrow('--pin takes on or off, got ""');
    expect(() => pinOption(['--pin', '0'])).toThrow('got "0"');
  });
});

describe('processTree', () => {
  it('starts with the process itself', () => {
    expect(processTree(process.pid)[0]).toBe(process.pid);
  });
});
