import { Global, Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigModule, loadConfig } from '@tenk/config';
import { HealthRegistry, MetricsService, ObservabilityModule } from '@tenk/observability';
import { SwitchesService } from '@tenk/switches';
import { eventually } from '@tenk/testing';
import { Bulkhead, CircuitBreaker, Retry, Timeout } from './index';
import { BulkheadFullError, CallTimeoutError, CircuitOpenError } from './errors';
import { ResilienceModule } from './resilience.module';
import { ResilienceService } from './resilience.service';

/** Small numbers so a test walks through every state in well under a second. */
const ENV = {
  NODE_ENV: 'test',
  TENK_LOG_LEVEL: 'silent',
  TENK_RESILIENCE_PAYMENTS_MIN_CALLS: '4',
  TENK_RESILIENCE_PAYMENTS_FAILURE_RATE: '50',
  TENK_RESILIENCE_PAYMENTS_SLOW_CALL_RATE: '50',
  TENK_RESILIENCE_PAYMENTS_SLOW_CALL: '40ms',
  TENK_RESILIENCE_PAYMENTS_TIMEOUT: '150ms',
  TENK_RESILIENCE_PAYMENTS_OPEN_FOR: '100ms',
  TENK_RESILIENCE_PAYMENTS_PROBES: '3',
  TENK_RESILIENCE_PAYMENTS_RETRIES: '2',
  TENK_RESILIENCE_PAYMENTS_RETRY_DELAY: '5ms',
  TENK_RESILIENCE_PAYMENTS_RETRY_MAX_DELAY: '20ms',
  TENK_RESILIENCE_PAYMENTS_BULKHEAD: '2',
  TENK_RESILIENCE_PAYMENTS_BULKHEAD_QUEUE: '1',
  TENK_RESILIENCE_SHARD_MIN_CALLS: '2',
};

class ProviderRefused extends Error {}

@Injectable()
class FlakyProvider {
  calls = 0;
  failing = false;

  @Timeout('payments')
  @CircuitBreaker('payments', { isFailure: (error) => !(error instanceof ProviderRefused), fallback: 'cached' })
  @Retry('payments', { idempotencyKey: (request: { key?: string }) => request.key })
  async charge(request: { key?: string; refuse?: boolean }): Promise<string> {
    this.calls++;
    if (request.refuse) throw new ProviderRefused('card number is not valid');
    if (this.failing) throw new Error('503 from the provider');
    return `charged ${request.key}`;
  }

  cached(error: unknown, request: { key?: string }): string {
    return `fallback for ${request.key}: ${(error as Error).name}`;
  }

  @CircuitBreaker('shard', { key: (shard: string) => `shard:${shard}` })
  @Bulkhead('shard')
  async query(shard: string, fail: boolean): Promise<string> {
    if (fail) throw new Error(`${shard} is unreachable`);
    return `rows from ${shard}`;
  }
}

describe('ResilienceService', () => {
  let moduleRef: TestingModule;
  let resilience: ResilienceService;
  let metrics: MetricsService;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(loadConfig(ENV)), ObservabilityModule.forRoot({ service: 'resilience-spec' }), ResilienceModule],
      providers: [FlakyProvider],
    }).compile();
    await moduleRef.init();
    resilience = moduleRef.get(ResilienceService);
    metrics = moduleRef.get(MetricsService);
  });

  afterEach(() => moduleRef.close());

  const fail = () => resilience.execute('payments', () => Promise.reject(new Error('boom'))).catch((error: unknown) => error);
  const succeed = () => resilience.execute('payments', () => 'ok');
  const metric = async (text: string) => (await metrics.registry.metrics()).includes(text);

  it('walks closed -> open -> half-open -> closed, failing fast while open', async () => {
    for (let i = 0; i < 3; i++) await fail();
    expect(resilience.breaker('payments').state).toBe('closed'); // below the minimum of 4 calls
    await fail();
    expect(resilience.breaker('payments').state).toBe('open');

    let reached = false;
    const rejected = await resilience.execute('payments', () => (reached = true)).catch((error: unknown) => error);
    expect(rejected).toBeInstanceOf(CircuitOpenError);
    expect((rejected as CircuitOpenError).retryAfterMs).toBeGreaterThan(0);
    expect(reached).toBe(false);
    expect(await metric('tenk_breaker_state{breaker="payments",service="resilience-spec"} 1')).toBe(true);
    expect(await metric('tenk_breaker_rejections_total{breaker="payments",state="open",service="resilience-spec"} 1')).toBe(true);

    // After the open time, three probes must pass; the first leaves it half-open.
    await eventually(() => succeed().catch(() => false), 'the first probe was let through');
    expect(resilience.breaker('payments').state).toBe('half-open');
    await succeed();
    expect(resilience.breaker('payments').state).toBe('half-open');
    await succeed();
    expect(resilience.breaker('payments').state).toBe('closed');
    expect(
      await metric('tenk_breaker_transitions_total{breaker="payments",from="half-open",to="closed",service="resilience-spec"} 1'),
    ).toBe(true);
  });

  it('reopens when a probe fails, and admits only as many probes as remain', async () => {
    for (let i = 0; i < 4; i++) await fail();
    await eventually(() => succeed().catch(() => false), 'the first probe was let through');
    // Two probes remain: a third concurrent call is refused while they run.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const breakerOnly = { layers: ['breaker'] } as const;
    const slow = [0, 1].map(() => resilience.execute('payments', () => gate.then(() => 'ok'), breakerOnly));
    await expect(resilience.execute('payments', () => 'ok', breakerOnly)).rejects.toMatchObject({
      name: 'CircuitOpenError',
      state: 'half-open',
    });
    release();
    await Promise.all(slow);
    expect(resilience.breaker('payments').state).toBe('closed');

    for (let i = 0; i < 4; i++) await fail();
    await eventually(() => succeed().catch(() => false), 'the first probe was let through');
    await fail();
    expect(resilience.breaker('payments').state).toBe('open');
  });

  it('opens on slow calls, even when they succeed', async () => {
    const slowAnswer = () => resilience.execute('payments', () => new Promise((resolve) => setTimeout(() => resolve('late'), 60)));
    for (let i = 0; i < 4; i++) await expect(slowAnswer()).resolves.toBe('late');
    expect(resilience.breaker('payments').state).toBe('open');
    expect(await metric('tenk_breaker_slow_calls_total{breaker="payments",service="resilience-spec"} 4')).toBe(true);
  });

  it('abandons a hanging call at the timeout and aborts its signal', async () => {
    let aborted = false;
    const hanging = resilience.execute('payments', (signal) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))));
    await expect(hanging).rejects.toBeInstanceOf(CallTimeoutError);
    expect(aborted).toBe(true);
    expect(await metric('tenk_breaker_failures_total{breaker="payments",kind="timeout",service="resilience-spec"} 1')).toBe(true);
  });

  it('retries idempotent work with backoff, and refuses to retry work not marked so', async () => {
    let tries = 0;
    const flaky = () => (++tries < 3 ? Promise.reject(new Error('blip')) : Promise.resolve('third time'));
    await expect(resilience.execute('payments', flaky, { idempotent: true })).resolves.toBe('third time');
    expect(tries).toBe(3);
    await expect(resilience.execute('payments', flaky, { layers: ['retry'] })).rejects.toThrow('not marked idempotent');
    tries = 0;
    await expect(resilience.execute('payments', () => (tries++, Promise.reject(new Error('once'))))).rejects.toThrow('once');
    expect(tries).toBe(1);
  });

  it('does not retry a try that timed out: it spent the whole budget', async () => {
    let tries = 0;
    await expect(
      resilience.execute('payments', () => (tries++, new Promise(() => undefined)), { idempotent: true }),
    ).rejects.toBeInstanceOf(CallTimeoutError);
    expect(tries).toBe(1);
  });

  it('refuses calls beyond the bulkhead and its queue', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = [0, 1, 2].map(() => resilience.execute('payments', () => gate));
    await expect(resilience.execute('payments', () => 'one too many')).rejects.toBeInstanceOf(BulkheadFullError);
    release();
    await Promise.all(running);
  });

  it('names the known policies when given an unknown one', async () => {
    await expect(resilience.execute('nope:1', () => 1)).rejects.toThrow(
      'unknown resilience policy "nope" (key "nope:1"): the policies are payments, shard, kafka, smtp',
    );
  });

  it('shows degraded in readiness while a breaker is open', async () => {
    const check = moduleRef
      .get(HealthRegistry)
      .list()
      .find((candidate) => candidate.name === 'circuit-breakers')!;
    expect(check.critical).toBe(false);
    // FlakyProvider.charge has a fixed-key breaker: it exists from the start.
    expect(await check.check()).toEqual({ details: { enabled: true, breakers: { payments: 'closed' } } });
    for (let i = 0; i < 4; i++) await fail();
    expect(await check.check()).toEqual({ degraded: true, details: { enabled: true, breakers: { payments: 'open' }, open: ['payments'] } });
  });

  it('runs work straight against the downstream while the breakers switch is off', async () => {
    @Global()
    @Module({
      providers: [{ provide: SwitchesService, useValue: { isOn: (name: string) => name !== 'breakers' } }],
      exports: [SwitchesService],
    })
    class BreakersSwitchedOff {}
    const switchedOff = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(loadConfig(ENV)),
        ObservabilityModule.forRoot({ service: 'resilience-spec' }),
        BreakersSwitchedOff,
        ResilienceModule,
      ],
    }).compile();
    const direct = switchedOff.get(ResilienceService);
    let tries = 0;
    for (let i = 0; i < 10; i++)
      await direct.execute('payments', () => (tries++, Promise.reject(new Error('down')))).catch(() => undefined);
    expect(tries).toBe(10);
    expect(direct.breakers()).toEqual([]);
    await switchedOff.close();
  });

  it('uses only the layers the policy config allows: timeout only keeps the timeout and never opens a breaker', async () => {
    const timeoutOnly = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(loadConfig({ ...ENV, TENK_RESILIENCE_PAYMENTS_LAYERS: 'timeout' })),
        ObservabilityModule.forRoot({ service: 'resilience-spec' }),
        ResilienceModule,
      ],
    }).compile();
    const service = timeoutOnly.get(ResilienceService);
    let tries = 0;
    for (let i = 0; i < 10; i++)
      await service.execute('payments', () => (tries++, Promise.reject(new Error('down'))), { idempotent: true }).catch(() => undefined);
    expect(tries).toBe(10);
    expect(service.breakers()).toEqual([]);
    await expect(service.execute('payments', () => new Promise(() => undefined))).rejects.toBeInstanceOf(CallTimeoutError);
    await timeoutOnly.close();
  });

  describe('decorators', () => {
    it('compose on a provider method: retry with the same key, errors of the caller never trip it, fallback when open', async () => {
      const provider = moduleRef.get(FlakyProvider);
      await expect(provider.charge({ key: 'order-1' })).resolves.toBe('charged order-1');

      // Refused requests are answers: they count as successes and are not retried.
      provider.calls = 0;
      for (let i = 0; i < 2; i++) await expect(provider.charge({ key: 'order-2', refuse: true })).rejects.toBeInstanceOf(ProviderRefused);
      expect(provider.calls).toBe(2);
      expect(resilience.breaker('payments').state).toBe('closed');

      // Three failed tries (the first and two retries) make 3 failures in 6 calls: 50% opens it.
      provider.failing = true;
      provider.calls = 0;
      await expect(provider.charge({ key: 'order-3' })).resolves.toBe('fallback for order-3: Error');
      expect(provider.calls).toBe(3);
      expect(resilience.breaker('payments').state).toBe('open');
      await expect(provider.charge({ key: 'order-4' })).resolves.toBe('fallback for order-4: CircuitOpenError');
      expect(provider.calls).toBe(3);
    });

    it('refuse a retry without an idempotency key', async () => {
      await expect(moduleRef.get(FlakyProvider).charge({})).rejects.toThrow(
        "FlakyProvider.charge: @Retry('payments') needs an idempotency key",
      );
    });

    it('keep one breaker per key, so one failing shard leaves the others closed', async () => {
      const provider = moduleRef.get(FlakyProvider);
      for (let i = 0; i < 2; i++) await provider.query('shard_2', true).catch(() => undefined);
      await expect(provider.query('shard_2', false)).rejects.toBeInstanceOf(CircuitOpenError);
      await expect(provider.query('shard_1', false)).resolves.toBe('rows from shard_1');
      expect(resilience.breakers().map(({ breaker, state }) => [breaker, state])).toEqual([
        ['payments', 'closed'],
        ['shard:shard_2', 'open'],
        ['shard:shard_1', 'closed'],
      ]);
    });

    it('refuse two policies on one method', () => {
      expect(() => {
        class Mixed {
          @Timeout('cache')
          @CircuitBreaker('payments')
          async call(): Promise<string> {
            return 'never runs';
          }
        }
        return Mixed;
      }).toThrow("@Timeout('cache') on Mixed.call: the method already uses policy 'payments'; one method, one policy");
    });
  });
});
