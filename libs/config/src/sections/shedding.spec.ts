import { loadConfig } from '../tenk-config';

describe('load shedding configuration', () => {
  it('is on by default: 200 ms of event-loop delay (utilization left out), sampled every 100 ms, Retry-After 1 s', () => {
    expect(loadConfig({}).shedding).toEqual({ enabled: true, delayMs: 200, utilization: 1, intervalMs: 100, retryAfterSeconds: 1 });
  });

  it('reads every variable', () => {
    const shedding = loadConfig({
      TENK_SHED: 'off',
      TENK_SHED_DELAY: '250ms',
      TENK_SHED_UTILIZATION: '90',
      TENK_SHED_INTERVAL: '1s',
      TENK_SHED_RETRY_AFTER: '3',
    }).shedding;
    expect(shedding).toEqual({ enabled: false, delayMs: 250, utilization: 0.9, intervalMs: 1000, retryAfterSeconds: 3 });
  });

  it.each([
    ['TENK_SHED', 'sometimes', /TENK_SHED="?sometimes"?.*expected true or false/],
    ['TENK_SHED_DELAY', 'soon', /TENK_SHED_DELAY="?soon"?.*expected a duration/],
    ['TENK_SHED_DELAY', '0ms', /TENK_SHED_DELAY="?0ms"?.*from 1ms to 60s/],
    ['TENK_SHED_UTILIZATION', '120', /TENK_SHED_UTILIZATION="?120"?.*whole number/],
    ['TENK_SHED_INTERVAL', '1ms', /TENK_SHED_INTERVAL="?1ms"?.*from 10ms to 10s/],
    ['TENK_SHED_RETRY_AFTER', '0', /TENK_SHED_RETRY_AFTER="?0"?.*whole number/],
  ])('refuses %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
