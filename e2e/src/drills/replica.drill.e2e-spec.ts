/**
 * Drill: the streaming replica stops. Catalog reads fall back to the primary (no error), and
 * go back to the replica once it has caught up again.
 */
import { eventually } from '@tenk/testing';
import { get, getFrom, infra, keepLoading, sleep } from './drill-support';
import { E2E_ENV } from '../../support/e2e-env';

const API_PORTS = [4001, 4002, 4003];

/** Catalog reads served by the replica so far, summed over the api instances. */
async function replicaReads(): Promise<number> {
  let total = 0;
  for (const port of API_PORTS) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text().catch(() => '');
    for (const line of text.split('\n'))
      if (line.startsWith('tenk_catalog_reads_total{') && line.includes('target="replica"')) total += Number(line.split(' ').pop());
  }
  return total;
}

describe('drill: stop the read replica', () => {
  afterAll(async () => {
    await infra('up', 'postgres-replica');
  });

  it('keeps serving catalog reads from the primary, then returns to the replica', async () => {
    expect(E2E_ENV['TENK_API_INSTANCES']).toBe('3');
    await infra('down', 'postgres-replica');
    // Pages nobody asked for yet, so the reads reach the database, not the cache.
    const load = keepLoading((source, i) => getFrom(source, `/products?limit=7&search=replica-drill-${Date.now()}-${i}`));
    await sleep(5_000);
    const tally = await load.stop();
    expect(tally.failures).toEqual([]);
    expect(tally.ok).toBeGreaterThan(20);

    await infra('up', 'postgres-replica');
    const before = await replicaReads();
    await eventually(
      async () => {
        await Promise.all(
          Array.from({ length: 5 }, (_, i) => get(`/products?limit=3&search=back-${Date.now()}-${i}`).then((r) => r.arrayBuffer())),
        );
        return (await replicaReads()) > before;
      },
      'catalog reads never went back to the replica',
      60_000,
      1_000,
    );
  });
});
