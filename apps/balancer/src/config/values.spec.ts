import { parseListenAddress, parseRate, parseServerAddress, parseSize, parseTime } from './values';

describe('nginx value syntax', () => {
  it('reads times (a bare number is seconds)', () => {
    expect(parseTime('30')).toBe(30_000);
    expect(parseTime('500ms')).toBe(500);
    expect(parseTime('1h30m')).toBe(5_400_000);
    expect(parseTime('1d')).toBe(86_400_000);
    expect(parseTime('5 s')).toBe(5000);
    expect(parseTime('soon')).toBeUndefined();
    expect(parseTime('')).toBeUndefined();
  });

  it('reads sizes and rates', () => {
    expect(parseSize('512')).toBe(512);
    expect(parseSize('8k')).toBe(8192);
    expect(parseSize('1M')).toBe(1048576);
    expect(parseSize('2g')).toBe(2 * 1024 ** 3);
    expect(parseSize('1.5m')).toBeUndefined();
    expect(parseRate('10r/s')).toBe(10);
    expect(parseRate('30r/m')).toBe(0.5);
    expect(parseRate('0r/s')).toBeUndefined();
  });

  it('reads listen and server addresses', () => {
    expect(parseListenAddress('8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseListenAddress('*:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseListenAddress('localhost')).toBeUndefined();
    expect(parseServerAddress('api.internal')).toEqual({ host: 'api.internal', port: 80 });
    expect(parseServerAddress('[::1]:3001')).toEqual({ host: '::1', port: 3001 });
    expect(parseServerAddress('10.0.0.1:0')).toBeUndefined();
  });
});
