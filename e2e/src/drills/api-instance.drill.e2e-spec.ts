/**
 * Drill: one of three api instances dies (SIGKILL) under load. The balancer retries the
 * requests it had in flight on another instance and takes the dead one out: no GET fails.
 */
import { eventually } from '@tenk/testing';
import { E2E_ENV } from '../../support/e2e-env';
import { control, getFrom, keepLoading, processState, sleep } from './drill-support';

describe('drill: kill 1 of 3 api instances under load', () => {
  afterAll(async () => {
    if ((await processState('api-3')) !== 'ready') await control('api-3', 'start');
  });

  it('keeps every GET succeeding while an instance is killed, and takes it back when it returns', async () => {
    expect(Number(E2E_ENV['TENK_API_INSTANCES'])).toBe(3);
    const load = keepLoading((source, i) => getFrom(source, `/products?limit=10&page=${1 + (i % 50)}`));
    await sleep(2_000);
    await control('api-3', 'kill');
    await sleep(5_000);
    const tally = await load.stop();
    expect(tally.failures).toEqual([]);
    expect(tally.ok).toBeGreaterThan(50);

    // The balancer has noticed. Passive failures (max_fails=3) take the peer out only for
    // fail_timeout (5 s), then nginx-style it gets a trial request, so its state flickers; the
    // active check (fails=3 every 2 s) is what keeps it out until it answers again.
    const admin = `http://127.0.0.1:${E2E_ENV['TENK_BALANCER_ADMIN_PORT']}/status`;
    const peerState = async () => {
      const status = (await (await fetch(admin)).json()) as {
        upstreams: Array<{ name: string; peers: Array<{ address: string; state: string }> }>;
      };
      return status.upstreams.find((u) => u.name === 'api')?.peers.find((p) => p.address.endsWith(':4003'))?.state;
    };
    await eventually(async () => (await peerState()) === 'unhealthy', 'the active health check never marked api-3 unhealthy', 20_000, 250);

    await control('api-3', 'start');
    await eventually(async () => (await peerState()) === 'up', 'the balancer never took api-3 back', 30_000, 250);
  });
});
