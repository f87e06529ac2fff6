import { parsePrometheusText, ratePerSecond, Scrape } from './prometheus-text';

const text = `# HELP http_server_request_duration_seconds HTTP requests
# TYPE http_server_request_duration_seconds histogram
http_server_request_duration_seconds_count{method="GET",route="/products",status="200",service="api"} 120
http_server_request_duration_seconds_count{method="GET",route="/products/:id",status="500",service="api"} 3
tenk_cache_lookups_total{cache="http",outcome="hit",detail=""} 90
tenk_cache_lookups_total{cache="http",outcome="miss",detail="a \\"quoted\\" word"} 10
tenk_breaker_state{breaker="payments"} 1
process_start_time_seconds 1.7e9
up +Inf
`;

describe('parsePrometheusText', () => {
  const scrape = new Scrape(parsePrometheusText(text));

  it('reads names, labels (with escapes) and values, skipping comments', () => {
    const samples = parsePrometheusText(text);
    expect(samples).toHaveLength(7);
    expect(samples[3]).toEqual({
      name: 'tenk_cache_lookups_total',
      labels: { cache: 'http', outcome: 'miss', detail: 'a "quoted" word' },
      value: 10,
    });
    expect(samples[5].value).toBe(1.7e9);
    expect(samples[6].value).toBe(Infinity);
  });

  it('sums and groups by label, with predicates', () => {
    expect(scrape.sum('http_server_request_duration_seconds_count')).toBe(123);
    expect(scrape.sum('http_server_request_duration_seconds_count', { status: (s) => s.startsWith('5') })).toBe(3);
    expect(scrape.by('tenk_cache_lookups_total', 'outcome')).toEqual({ hit: 90, miss: 10 });
    expect(scrape.has('tenk_breaker_state')).toBe(true);
    expect(scrape.has('nope')).toBe(false);
  });

  it('turns counters into rates and treats a reset as zero', () => {
    expect(ratePerSecond(100, 150, 2)).toBe(25);
    expect(ratePerSecond(undefined, 150, 2)).toBe(0);
    expect(ratePerSecond(150, 10, 2)).toBe(0);
  });
});
