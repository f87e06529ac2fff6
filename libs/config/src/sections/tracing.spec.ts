import { loadConfig } from '../tenk-config';

describe('tracing configuration', () => {
  it('is off unless an OTLP endpoint is given, and samples everything outside production', () => {
    const { tracing } = loadConfig({});
    expect(tracing.endpoint).toBeUndefined();
    expect(tracing.sampleRatio).toBe(1);
    expect(loadConfig({ NODE_ENV: 'test' }).tracing.sampleRatio).toBe(1);
    expect(loadConfig({ NODE_ENV: 'production' }).tracing.sampleRatio).toBe(0.05);
    expect(loadConfig({ TENK_OTLP_ENDPOINT: 'off' }).tracing.endpoint).toBeUndefined();
  });

  it('reads the endpoint (no trailing slash) and the ratio as a fraction or a percentage', () => {
    const { tracing } = loadConfig({ TENK_OTLP_ENDPOINT: 'http://127.0.0.1:54318/', TENK_TRACE_SAMPLE_RATIO: '0.25' });
    expect(tracing.endpoint).toBe('http://127.0.0.1:54318');
    expect(tracing.sampleRatio).toBe(0.25);
    expect(loadConfig({ TENK_TRACE_SAMPLE_RATIO: '10%' }).tracing.sampleRatio).toBeCloseTo(0.1);
    expect(loadConfig({ TENK_TRACE_SAMPLE_RATIO: '0' }).tracing.sampleRatio).toBe(0);
  });

  it.each(['1.5', '-0.1', 'half', '150%'])('refuses a ratio of %s, naming the variable', (value) => {
    expect(() => loadConfig({ TENK_TRACE_SAMPLE_RATIO: value })).toThrow(/TENK_TRACE_SAMPLE_RATIO=.*expected a fraction from 0 to 1/);
  });

  it('keeps errors by default and slow traces only when asked', () => {
    expect(loadConfig({}).tracing).toMatchObject({ keepErrors: true, keepSlowMs: 0 });
    expect(loadConfig({ TENK_TRACE_KEEP_ERRORS: 'false', TENK_TRACE_KEEP_SLOW_MS: '1s' }).tracing).toMatchObject({
      keepErrors: false,
      keepSlowMs: 1_000,
    });
    expect(() => loadConfig({ TENK_TRACE_KEEP_SLOW_MS: 'slow' })).toThrow(/TENK_TRACE_KEEP_SLOW_MS/);
  });

  it('refuses an endpoint that is not an http(s) URL', () => {
    expect(() => loadConfig({ TENK_OTLP_ENDPOINT: 'localhost:4318' })).toThrow(/TENK_OTLP_ENDPOINT/);
  });

  it('keeps the Jaeger ports apart from the other services', () => {
    expect(loadConfig({}).tracing.jaeger).toEqual({ uiPort: 56686, grpcPort: 56685, otlpPort: 54318 });
    expect(() => loadConfig({ TENK_JAEGER_OTLP_PORT: '56686' })).toThrow(/TENK_JAEGER_OTLP_PORT="56686": the same port/);
  });
});
