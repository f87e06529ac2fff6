import { controlHeaders, controlRequest, createControlToken, HOSTILE_CONTROL_CALLS, type ControlCall } from '@tenk/control-plane';
import { createLogger } from '@tenk/observability';
import { DECLINE_ABOVE_CENTS } from './ledger';
import { PaymentSim } from './payment-sim';

const token = createControlToken();

describe('PaymentSim', () => {
  let sim: PaymentSim;
  const api = (path: string) => `http://127.0.0.1:${sim.port}${path}`;
  const admin = (path: string) => `http://127.0.0.1:${sim.adminPort}${path}`;
  const authorize = (key: string, body: unknown) =>
    fetch(api('/v1/authorizations'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });

  beforeEach(async () => {
    sim = new PaymentSim({ port: 0, adminPort: 0, controlToken: token, logger: createLogger({ service: 'payment-sim', level: 'silent' }) });
    await sim.start();
  });
  afterEach(() => sim.stop());

  it('authorizes, replays the same key with the same answer, and refuses the key for another request', async () => {
    const first = await authorize('order-key-1', { amountCents: 1200, currency: 'EUR', reference: 'o1' });
    expect(first.status).toBe(201);
    const created = (await first.json()) as { id: string; status: string };
    expect(created.status).toBe('authorized');

    const replay = await authorize('order-key-1', { amountCents: 1200, currency: 'EUR', reference: 'o1' });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as { id: string }).id).toBe(created.id);

    const conflict = await authorize('order-key-1', { amountCents: 9999, currency: 'EUR', reference: 'o1' });
    expect(conflict.status).toBe(422);
    expect(((await conflict.json()) as { error: string }).error).toMatch(/different request/);
  });

  it('declines amounts over the limit and validates input', async () => {
    const declined = (await (
      await authorize('order-key-2', { amountCents: DECLINE_ABOVE_CENTS + 1, currency: 'EUR', reference: 'o2' })
    ).json()) as { status: string };
    expect(declined.status).toBe('declined');
    const bad = await authorize('order-key-3', { amountCents: -5, currency: 'EUR', reference: 'o3' });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: string }).error).toBe('amountCents must be a whole number > 0');
    const noKey = await fetch(api('/v1/authorizations'), { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(400);
  });

  it('captures an authorization once and refuses to void it afterwards', async () => {
    const { id } = (await (await authorize('order-key-4', { amountCents: 500, currency: 'EUR', reference: 'o4' })).json()) as {
      id: string;
    };
    expect((await fetch(api(`/v1/authorizations/${id}/capture`), { method: 'POST' })).status).toBe(200);
    expect((await fetch(api(`/v1/authorizations/${id}/capture`), { method: 'POST' })).status).toBe(200);
    expect((await fetch(api(`/v1/authorizations/${id}/void`), { method: 'POST' })).status).toBe(409);
  });

  it('injects errors, refuses connections and counts what reached it', async () => {
    const setFaults = (faults: unknown) =>
      fetch(admin('/admin/faults'), { method: 'PUT', headers: controlHeaders(token), body: JSON.stringify(faults) });
    expect((await setFaults({ errorRate: 1 })).status).toBe(200);
    expect((await authorize('order-key-5', { amountCents: 100, currency: 'EUR', reference: 'o5' })).status).toBe(503);

    expect((await setFaults({ refuseConnections: true })).status).toBe(200);
    await expect(authorize('order-key-6', { amountCents: 100, currency: 'EUR', reference: 'o6' })).rejects.toThrow();

    expect((await fetch(admin('/admin/faults'), { method: 'DELETE', headers: controlHeaders(token), body: '{}' })).status).toBe(200);
    expect((await authorize('order-key-7', { amountCents: 100, currency: 'EUR', reference: 'o7' })).status).toBe(201);
    const stats = (await (await fetch(admin('/admin/stats'))).json()) as { received: Record<string, number> };
    expect(stats.received['POST /v1/authorizations']).toBe(2);
  });

  it('hangs when told to, until the fault is lifted', async () => {
    await fetch(admin('/admin/faults'), { method: 'PUT', headers: controlHeaders(token), body: JSON.stringify({ hang: true }) });
    const pending = authorize('order-key-8', { amountCents: 100, currency: 'EUR', reference: 'o8' });
    const outcome = await Promise.race([
      pending.then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 300)),
    ]);
    expect(outcome).toBe('still waiting');
    await fetch(admin('/admin/faults'), { method: 'DELETE', headers: controlHeaders(token), body: '{}' });
    await expect(pending).rejects.toThrow();
  });

  it('names bad fault settings', async () => {
    const response = await fetch(admin('/admin/faults'), {
      method: 'PUT',
      headers: controlHeaders(token),
      body: JSON.stringify({ errorRate: 2, wobble: true }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe(
      'errorRate must be a number from 0 to 1; unknown fault "wobble"; faults: latencyMs, errorRate, hang, refuseConnections',
    );
  });

  describe('its admin API, against calls any web page can make', () => {
    const hang = (): ControlCall => ({ method: 'PUT', url: admin('/admin/faults'), token, body: '{"hang":true}' });

    it.each(HOSTILE_CONTROL_CALLS)('refuses $name, and the faults stay as they were', async (hostile) => {
      const answer = await controlRequest(hostile.from(hang()));
      expect(answer.status).toBe(hostile.status);
      expect((JSON.parse(answer.body) as { error: string }).error).toMatch(hostile.message);
      expect(sim.stats().faults.hang).toBe(false);
    });

    it('refuses to clear the stats or the faults without the token', async () => {
      await authorize('order-key-9', { amountCents: 100, currency: 'EUR', reference: 'o9' });
      expect((await controlRequest({ method: 'DELETE', url: admin('/admin/stats'), body: '{}' })).status).toBe(401);
      expect(sim.stats().received['POST /v1/authorizations']).toBe(1);
      expect((await controlRequest({ method: 'DELETE', url: admin('/admin/faults'), token, contentType: null })).status).toBe(415);
      expect((await controlRequest({ method: 'DELETE', url: admin('/admin/faults'), token, body: '' })).status).toBe(400);
    });

    it('takes the correct call', async () => {
      const answer = await controlRequest(hang());
      expect(answer.status).toBe(200);
      expect(sim.stats().faults.hang).toBe(true);
    });

    it('serves its reads on loopback without the token, never under a foreign Host', async () => {
      expect((await controlRequest({ method: 'GET', url: admin('/admin/faults'), contentType: null })).status).toBe(200);
      expect(
        (await controlRequest({ method: 'GET', url: admin('/health'), contentType: null, host: `evil.example:${sim.adminPort}` })).status,
      ).toBe(403);
    });

    it('takes no state change at all when it was given no token', async () => {
      const locked = new PaymentSim({
        port: 0,
        adminPort: 0,
        controlToken: null,
        logger: createLogger({ service: 'payment-sim', level: 'silent' }),
      });
      await locked.start();
      try {
        const answer = await controlRequest({ ...hang(), url: `http://127.0.0.1:${locked.adminPort}/admin/faults` });
        expect(answer.status).toBe(401);
        expect(locked.stats().faults.hang).toBe(false);
      } finally {
        await locked.stop();
      }
    });
  });
});
