import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigModule, loadConfig } from '@tenk/config';
import { HealthRegistry, MetricsService, ObservabilityModule } from '@tenk/observability';
import { ResilienceModule, ResilienceService } from '@tenk/resilience';
import { eventually } from '@tenk/testing';
import { isPaymentRequestError, isPaymentUnavailableError, type PaymentUnavailableError } from './payment-errors';
import { PaymentsModule } from './payments.module';
import { PaymentsService } from './payments.service';
import { PaymentSimProcess } from './testing/payment-sim-process';

/**
 * PaymentsService against a real payment-sim process, driven into failure through its admin
 * API: hangs become timeouts then fast refusals, the breaker's probes close it again, errors
 * are retried with the same idempotency key, and the provider refusing a request never trips it.
 */
const POLICY = {
  TENK_RESILIENCE_PAYMENTS_TIMEOUT: '1s', // short for the hang test, yet not a timing test on a busy machine
  TENK_RESILIENCE_PAYMENTS_MIN_CALLS: '4',
  TENK_RESILIENCE_PAYMENTS_FAILURE_RATE: '50',
  TENK_RESILIENCE_PAYMENTS_OPEN_FOR: '1s',
  TENK_RESILIENCE_PAYMENTS_PROBES: '2',
  TENK_RESILIENCE_PAYMENTS_RETRIES: '2',
  TENK_RESILIENCE_PAYMENTS_RETRY_DELAY: '10ms',
  TENK_RESILIENCE_PAYMENTS_RETRY_MAX_DELAY: '50ms',
};

describe('PaymentsService against payment-sim', () => {
  let sim: PaymentSimProcess;
  let moduleRef: TestingModule;
  let payments: PaymentsService;
  let resilience: ResilienceService;
  let keys = 0;
  const key = () => `int-spec-${process.pid}-${Date.now()}-${++keys}`;
  const authorize = (amountCents = 1_250) =>
    payments.authorize({ idempotencyKey: key(), amountCents, currency: 'EUR', reference: 'order-int-spec' });
  const unavailable = () =>
    authorize().then(
      () => undefined,
      (error: unknown) => (isPaymentUnavailableError(error) ? error : Promise.reject(error)),
    );

  beforeAll(async () => {
    sim = await PaymentSimProcess.start();
  });

  afterAll(() => sim.stop());

  beforeEach(async () => {
    await sim.faults('none');
    await sim.resetStats();
    const config = loadConfig({ ...process.env, ...POLICY, TENK_LOG_LEVEL: 'silent', TENK_PAYMENT_URL: sim.url });
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'payments-int-spec' }),
        ResilienceModule,
        PaymentsModule,
      ],
    }).compile();
    await moduleRef.init();
    payments = moduleRef.get(PaymentsService);
    resilience = moduleRef.get(ResilienceService);
  });

  afterEach(() => moduleRef.close());

  it('authorizes, declines, captures and voids', async () => {
    const authorized = await authorize();
    expect(authorized).toEqual({ authorizationId: expect.stringMatching(/^auth_/), status: 'authorized' });
    await expect(payments.capture(authorized.authorizationId, key())).resolves.toEqual({
      authorizationId: authorized.authorizationId,
      status: 'captured',
    });
    expect(await authorize(2_000_000)).toEqual({
      authorizationId: expect.stringMatching(/^auth_/),
      status: 'declined',
      declineReason: 'amount over the card limit',
    });
    const toVoid = await authorize();
    await expect(payments.void(toVoid.authorizationId, key())).resolves.toEqual({
      authorizationId: toVoid.authorizationId,
      status: 'voided',
    });
  });

  it('answers a repeated idempotency key with the first authorization', async () => {
    const request = { idempotencyKey: key(), amountCents: 990, currency: 'EUR', reference: 'order-repeat' };
    const first = await payments.authorize(request);
    await expect(payments.authorize(request)).resolves.toEqual(first);
  });

  it('never trips the breaker on requests the provider refuses', async () => {
    const idempotencyKey = key();
    await payments.authorize({ idempotencyKey, amountCents: 100, currency: 'EUR', reference: 'first' });
    await sim.resetStats();
    for (let i = 0; i < 8; i++) {
      const refused = await payments
        .authorize({ idempotencyKey, amountCents: 200, currency: 'EUR', reference: 'another body' })
        .catch((error: unknown) => error);
      expect(isPaymentRequestError(refused)).toBe(true);
    }
    expect(await sim.received()).toBe(8); // not retried
    expect(resilience.breaker('payments').state).toBe('closed');
  });

  it('retries a failing provider with the same idempotency key', async () => {
    await sim.faults({ errorRate: 1 });
    const error = await unavailable();
    expect(error?.message).toContain('503');
    expect(await sim.received()).toBe(3); // the first try and two retries, one key
  });

  it('turns a hang into timeouts, then fails fast without calling the provider, then closes after probes', async () => {
    await sim.faults({ hang: true });
    const timedOut = await unavailable();
    expect(timedOut?.message).toContain('no answer within 1000 ms');
    await eventually(async () => (await unavailable(), resilience.breaker('payments').state === 'open'), 'the breaker opens');

    const reachedBefore = await sim.received();
    const fast: PaymentUnavailableError[] = [];
    for (let i = 0; i < 20; i++) fast.push((await unavailable())!);
    expect(await sim.received()).toBe(reachedBefore); // not one call reached the provider while open
    expect(fast.every((error) => error.message.startsWith('payments are paused: circuit breaker payments is open'))).toBe(true);
    expect(fast[0].retryAfterSeconds).toBeGreaterThanOrEqual(1);

    const metrics = await moduleRef.get(MetricsService).registry.metrics();
    expect(metrics).toContain('tenk_breaker_state{breaker="payments",service="payments-int-spec"} 1');
    expect(metrics).toMatch(/tenk_breaker_rejections_total\{breaker="payments",state="open",service="payments-int-spec"\} 2\d/);
    expect(metrics).toMatch(/tenk_breaker_failures_total\{breaker="payments",kind="timeout",service="payments-int-spec"\} \d+/);
    const readiness = moduleRef
      .get(HealthRegistry)
      .list()
      .find((check) => check.name === 'circuit-breakers')!;
    await expect(readiness.check()).resolves.toMatchObject({ degraded: true, details: { open: ['payments'] } });

    await sim.faults('none');
    await eventually(async () => (await authorize().catch(() => undefined)) !== undefined, 'a half-open probe gets through', 10_000);
    await authorize();
    expect(resilience.breaker('payments').state).toBe('closed');
    await expect(readiness.check()).resolves.toEqual({ details: { enabled: true, breakers: { payments: 'closed' } } });
  });

  it('reopens when the provider is still down at the probe', async () => {
    await sim.faults({ refuseConnections: true });
    await eventually(
      async () => (await unavailable(), resilience.breaker('payments').state === 'open'),
      'the breaker opens on refused connections',
    );
    const metrics = () => moduleRef.get(MetricsService).registry.metrics();
    await eventually(
      async () => (await unavailable(), (await metrics()).includes('from="half-open",to="open"')),
      'a probe fails and the breaker reopens',
      10_000,
    );
    expect(resilience.breaker('payments').state).toBe('open');
    expect(await sim.received()).toBe(0);
  });
});
