import { loadConfig } from '../tenk-config';

describe('resilience policies', () => {
  it('defines each policy once, with its defaults', () => {
    const { resilience } = loadConfig({});
    expect(Object.keys(resilience)).toEqual(['payments', 'shard', 'kafka', 'smtp']);
    expect(resilience.payments).toEqual({
      layers: ['bulkhead', 'retry', 'breaker', 'timeout'],
      timeoutMs: 2_000,
      breaker: {
        failureRate: 0.5,
        slowCallRate: 0.8,
        slowCallMs: 1_000,
        windowMs: 10_000,
        minimumCalls: 10,
        openMs: 5_000,
        halfOpenProbes: 3,
      },
      retry: { retries: 2, initialDelayMs: 100, maxDelayMs: 1_000 },
      bulkhead: { limit: 32, queue: 32 },
    });
  });

  it('takes every setting from TENK_RESILIENCE_<POLICY>_<SETTING>', () => {
    const { resilience } = loadConfig({
      TENK_RESILIENCE_SHARD_TIMEOUT: '500ms',
      TENK_RESILIENCE_SHARD_FAILURE_RATE: '25',
      TENK_RESILIENCE_SHARD_OPEN_FOR: '10s',
      TENK_RESILIENCE_SHARD_PROBES: '5',
      TENK_RESILIENCE_SHARD_BULKHEAD: '8',
    });
    expect(resilience.shard).toMatchObject({
      timeoutMs: 500,
      breaker: { failureRate: 0.25, openMs: 10_000, halfOpenProbes: 5 },
      bulkhead: { limit: 8 },
    });
    expect(resilience.payments.timeoutMs).toBe(2_000);
  });

  it('narrows a policy to some layers, e.g. the payment call with its timeout only', () => {
    const { resilience } = loadConfig({ TENK_RESILIENCE_PAYMENTS_LAYERS: 'timeout' });
    expect(resilience.payments.layers).toEqual(['timeout']);
    expect(loadConfig({ TENK_RESILIENCE_SHARD_LAYERS: 'timeout, breaker' }).resilience.shard.layers).toEqual(['breaker', 'timeout']);
    expect(() => loadConfig({ TENK_RESILIENCE_PAYMENTS_LAYERS: 'timeout,brakes' })).toThrow(
      /TENK_RESILIENCE_PAYMENTS_LAYERS="timeout,brakes": unknown layer brakes/,
    );
  });

  it('names every bad value', () => {
    expect(() => loadConfig({ TENK_RESILIENCE_PAYMENTS_FAILURE_RATE: '150', TENK_RESILIENCE_SMTP_OPEN_FOR: 'soon' })).toThrow(
      /TENK_RESILIENCE_PAYMENTS_FAILURE_RATE="150": expected a whole number from 1 to 100[\s\S]*TENK_RESILIENCE_SMTP_OPEN_FOR="soon": expected a duration/,
    );
  });
});
