/**
 * The running shop's control ports against what any web page open in the user's browser can
 * send (issue 12, section 3): the launcher (kill a process), the map (turn a pattern off), the
 * balancer's admin (switch the algorithm) and payment-sim's admin (make payments hang). Each
 * hostile variant of a real call gets its 4xx and changes nothing; the same call with the
 * run's token goes through; the read-only pages answer only under their own Host.
 */
import { statSync } from 'node:fs';
import { loadConfig } from '@tenk/config';
import { controlRequest, controlTokenFile, HOSTILE_CONTROL_CALLS, type ControlCall } from '@tenk/control-plane';
import { balancerAdminUrl, controlToken, paymentSimAdminUrl } from '../support/control-planes';
import { controlUrl, mapUrl } from '../support/e2e-env';

const read = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

/** The refusal's message: `error` (node:http servers) or `message` (Nest) of a JSON answer, else the text (the balancer's). */
function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    return String(parsed.message ?? parsed.error);
  } catch {
    return body;
  }
}

interface ControlPlane {
  name: string;
  /** A real state-changing call, with the token: what a hostile page would like to send. */
  call(): ControlCall;
  /** The state that call would change, as a string to compare before and after. */
  state(): Promise<string>;
  /** Its read-only page. */
  readUrl: string;
}

const PLANES: ControlPlane[] = [
  {
    name: "the launcher's control API",
    call: () => ({ method: 'POST', url: controlUrl('/processes/api-3/kill'), token: controlToken(), body: '{}' }),
    state: async () =>
      JSON.stringify(
        (await read<Array<{ name: string; pid: number; state: string }>>(controlUrl('/processes'))).find((p) => p.name === 'api-3'),
      ),
    readUrl: controlUrl('/processes'),
  },
  {
    name: "the map's controls",
    call: () => ({ method: 'PUT', url: mapUrl('/controls/switches/cache'), token: controlToken(), body: '{"on":false}' }),
    state: async () => JSON.stringify((await read<{ switches: Record<string, boolean> }>(mapUrl('/snapshot'))).switches),
    readUrl: mapUrl('/snapshot'),
  },
  {
    name: "the balancer's admin",
    call: () => ({
      method: 'PUT',
      url: balancerAdminUrl('/upstreams/api/algorithm'),
      token: controlToken(),
      body: '{"algorithm": "round_robin"}',
    }),
    state: async () =>
      (await read<{ upstreams: Array<{ name: string; algorithm: string }> }>(balancerAdminUrl('/status'))).upstreams.find(
        (u) => u.name === 'api',
      )?.algorithm ?? 'none',
    readUrl: balancerAdminUrl('/status'),
  },
  {
    name: "payment-sim's admin",
    call: () => ({ method: 'PUT', url: paymentSimAdminUrl('/admin/faults'), token: controlToken(), body: '{"hang": true}' }),
    state: async () => JSON.stringify(await read<Record<string, unknown>>(paymentSimAdminUrl('/admin/faults'))),
    readUrl: paymentSimAdminUrl('/admin/faults'),
  },
];

describe('the control planes, against a hostile web page', () => {
  it("keeps this run's token in a file only its owner can read", () => {
    const file = controlTokenFile(loadConfig().paths.state, 'e2e');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(controlToken()).toMatch(/^[0-9a-f]{48}$/);
  });

  describe.each(PLANES)('$name', (plane) => {
    it.each(HOSTILE_CONTROL_CALLS)('refuses $name, and nothing changes', async (hostile) => {
      const before = await plane.state();
      const answer = await controlRequest(hostile.from(plane.call()));
      expect(answer.status).toBe(hostile.status);
      expect(messageOf(answer.body)).toMatch(hostile.message);
      expect(await plane.state()).toBe(before);
    });

    it('answers its read-only page on loopback, and refuses it under a foreign Host', async () => {
      expect((await controlRequest({ method: 'GET', url: plane.readUrl, contentType: null })).status).toBe(200);
      const rebound = await controlRequest({
        method: 'GET',
        url: plane.readUrl,
        contentType: null,
        host: `evil.example:${new URL(plane.readUrl).port}`,
      });
      expect(rebound.status).toBe(403);
      expect(messageOf(rebound.body)).toMatch(/Host "evil\.example:\d+" is not this server/);
    });
  });

  it('lets the same calls through with the token (each leaving the shop as it was)', async () => {
    // The launcher: api-3 is running, so a start is refused for that reason (409), past every check.
    const start = await controlRequest({ method: 'POST', url: controlUrl('/processes/api-3/start'), token: controlToken(), body: '{}' });
    expect(start.status).toBe(409);
    expect(start.body).toContain('api-3 is already ready');
    const cacheOn = await controlRequest({
      method: 'PUT',
      url: mapUrl('/controls/switches/cache'),
      token: controlToken(),
      body: '{"on":true}',
    });
    expect(cacheOn.status).toBe(200);
    const current = await PLANES[2].state();
    const algorithm = await controlRequest({
      method: 'PUT',
      url: balancerAdminUrl('/upstreams/api/algorithm'),
      token: controlToken(),
      body: JSON.stringify({ algorithm: current }),
    });
    expect(algorithm.status).toBe(200);
    expect(await PLANES[2].state()).toBe(current);
    const noFaults = await controlRequest({ method: 'PUT', url: paymentSimAdminUrl('/admin/faults'), token: controlToken(), body: '{}' });
    expect(noFaults.status).toBe(200);
    expect(JSON.parse(noFaults.body)).toEqual({ latencyMs: 0, errorRate: 0, hang: false, refuseConnections: false });
  });
});
