import { parseWrk } from './balancer';

const WRK = `Running 10s test @ http://127.0.0.1:8080/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.41ms    1.02ms  30.12ms   92.10%
    Req/Sec    23.49k     4.20k   27.71k    82.50%
  Latency Distribution
     50%    2.41ms
     75%    2.90ms
     90%    3.33ms
     99%  850.00us
  233755 requests in 10.00s, 40.12MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  23376.81
Transfer/sec:      4.01MB
`;

describe('parseWrk', () => {
  it('reads rate, percentiles (any unit) and errors', () => {
    expect(parseWrk(WRK)).toEqual({ requestsPerSecond: 23376.81, p50Ms: 2.41, p99Ms: 0.85, errors: 3, requests: 233755 });
    expect(
      parseWrk(WRK.replace('  Non-2xx or 3xx responses: 3\n', '  Socket errors: connect 0, read 2, write 0, timeout 1\n')).errors,
    ).toBe(3);
  });

  it('fails loudly on output it does not understand', () => {
    expect(() => parseWrk('nothing')).toThrow(/cannot read wrk output/);
  });
});
