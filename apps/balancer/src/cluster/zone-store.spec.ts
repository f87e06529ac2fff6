import { ZoneStore, type Delivery } from './zone-store';

const health = (healthy: boolean) => ({
  healthy,
  checkFails: healthy ? 0 : 1,
  checkPasses: healthy ? 1 : 0,
  lastCheckAt: 1,
  lastCheckStatus: 0,
  lastCheckError: '',
});

describe('ZoneStore: the primary counts zone events in arrival order and says what each worker adopts', () => {
  it('counts failures from every worker and sends the count to all', () => {
    const store = new ZoneStore();
    store.snapshot(1);
    store.snapshot(2);
    store.handle(1, { type: 'tenk:zone-fail', upstream: 'api', peer: 'p', at: 100 });
    const second = store.handle(2, { type: 'tenk:zone-fail', upstream: 'api', peer: 'p', at: 150 });
    expect(second).toEqual<Delivery[]>([
      { to: 'all', message: { type: 'tenk:zone-peer', upstream: 'api', peer: 'p', state: { fails: 2, accessedAt: 150, checkedAt: 150 } } },
    ]);
    const trial = store.handle(1, { type: 'tenk:zone-trial', upstream: 'api', peer: 'p', at: 120 });
    expect(trial[0].message).toMatchObject({ state: { checkedAt: 150 } });
    expect(store.handle(2, { type: 'tenk:zone-ok', upstream: 'api', peer: 'p' })[0].message).toMatchObject({ state: { fails: 0 } });
  });

  it('quick recovery resets every failing peer of the upstream only', () => {
    const store = new ZoneStore();
    store.handle(1, { type: 'tenk:zone-fail', upstream: 'api', peer: 'p', at: 1 });
    store.handle(1, { type: 'tenk:zone-fail', upstream: 'other', peer: 'q', at: 1 });
    const updates = store.handle(1, { type: 'tenk:zone-recover', upstream: 'api' });
    expect(updates.map((update) => update.message)).toEqual([
      { type: 'tenk:zone-peer', upstream: 'api', peer: 'p', state: { fails: 0, accessedAt: 1, checkedAt: 1 } },
    ]);
  });

  it("sends each worker the other workers' requests in flight, and forgets a worker that exited", () => {
    const store = new ZoneStore();
    for (const worker of [1, 2, 3]) store.snapshot(worker);
    store.handle(1, { type: 'tenk:zone-conns', upstream: 'api', conns: { p: 3, q: 1 } });
    const updates = store.handle(2, { type: 'tenk:zone-conns', upstream: 'api', conns: { p: 2, q: 0 } });
    expect(updates).toEqual<Delivery[]>([
      { to: 'one', worker: 1, message: { type: 'tenk:zone-others', upstream: 'api', conns: { p: 2, q: 0 } } },
      { to: 'one', worker: 3, message: { type: 'tenk:zone-others', upstream: 'api', conns: { p: 5, q: 1 } } },
    ]);
    const gone = store.workerGone(1);
    expect(gone).toEqual<Delivery[]>([
      { to: 'one', worker: 2, message: { type: 'tenk:zone-others', upstream: 'api', conns: {} } },
      { to: 'one', worker: 3, message: { type: 'tenk:zone-others', upstream: 'api', conns: { p: 2, q: 0 } } },
    ]);
  });

  it("relays the checking worker's verdicts to the others, clears failures when a peer comes back, and hands a new worker everything", () => {
    const store = new ZoneStore();
    store.handle(1, { type: 'tenk:zone-fail', upstream: 'api', peer: 'p', at: 5 });
    expect(store.handle(1, { type: 'tenk:zone-health', upstream: 'api', peer: 'p', health: health(false) })).toEqual<Delivery[]>([
      { to: 'others', except: 1, message: { type: 'tenk:zone-health-state', upstream: 'api', peer: 'p', health: health(false) } },
    ]);
    const back = store.handle(1, { type: 'tenk:zone-health', upstream: 'api', peer: 'p', health: health(true) });
    expect(back[1]).toEqual({
      to: 'all',
      message: { type: 'tenk:zone-peer', upstream: 'api', peer: 'p', state: { fails: 0, accessedAt: 5, checkedAt: 5 } },
    });
    store.handle(1, { type: 'tenk:zone-conns', upstream: 'api', conns: { p: 4 } });
    expect(store.snapshot(7).map((delivery) => delivery.message.type)).toEqual([
      'tenk:zone-others',
      'tenk:zone-peer',
      'tenk:zone-health-state',
    ]);
    expect(store.snapshot(8)[0].message).toEqual({ type: 'tenk:zone-others', upstream: 'api', conns: { p: 4 } });
  });
});
