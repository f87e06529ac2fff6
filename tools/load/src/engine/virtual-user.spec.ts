import type { Dispatcher } from 'undici';
import { RunStats } from './stats';
import { VirtualUser, type Behaviour, type VirtualUserHost } from './virtual-user';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** A dispatcher that answers at once with the given headers, as undici's core would call the handler. */
function answering(headers: Array<[string, string]>): Dispatcher {
  return {
    dispatch(_options: unknown, handler: Dispatcher.DispatchHandler) {
      handler.onConnect?.(() => undefined);
      handler.onHeaders?.(
        200,
        headers.flatMap(([name, value]) => [Buffer.from(name), Buffer.from(value)]),
        () => undefined,
        'OK',
      );
      handler.onData?.(Buffer.from('{}'));
      handler.onComplete?.([]);
      return true;
    },
  } as unknown as Dispatcher;
}

describe('a virtual user and the trace of its slow requests', () => {
  it.each([
    ['traceresponse', `00-${TRACE}-00f067aa0ba902b7-01`, TRACE, true],
    ['Traceresponse', `00-${TRACE}-00f067aa0ba902b7-00`, TRACE, false],
    ['x-other', 'value', null, false],
  ])('records the trace id a %s header names for one of the slowest requests', (name, value, traceId, sampled) => {
    const stats = new RunStats();
    const endpoint = stats.endpoint('GET /products');
    const behaviour: Behaviour = { plan: (request) => (request.endpoint = endpoint), after: () => 1_000 };
    const host: VirtualUserHost = { stats, dispatcherFor: () => answering([[name, value]]), finished: () => undefined };
    new VirtualUser(0, host, behaviour).wake();
    expect(stats.slowest.list()).toEqual([expect.objectContaining({ endpoint: 'GET /products', outcome: '200', traceId, sampled })]);
  });
});
