import { fixKafkajsIdleLoop } from './kafkajs-idle-fix';

const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: object) => {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
};

function queue() {
  return new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 1_000,
    enforceRequestTimeout: false,
    clientId: 'spec',
    broker: 'spec:9092',
    logger: { debug: () => undefined, warn: () => undefined, error: () => undefined, info: () => undefined },
    isConnected: () => true,
  });
}

describe('fixKafkajsIdleLoop', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('knows the installed kafkajs and replaces its spinning check', () => {
    expect(fixKafkajsIdleLoop()).toBe('patched');
    expect(fixKafkajsIdleLoop()).toBe('patched');
  });

  it('arms no timer while nothing is pending: an idle connection stays asleep', () => {
    fixKafkajsIdleLoop();
    const idle = queue();
    idle.checkPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('still checks a throttled queue with pending requests, when the throttle ends', () => {
    fixKafkajsIdleLoop();
    const throttled = queue();
    const check = jest.spyOn(throttled, 'checkPendingRequests').mockImplementation(() => undefined);
    throttled.throttledUntil = Date.now() + 50;
    throttled.pending.push({});
    throttled.scheduleCheckPendingRequests();
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(49);
    expect(check).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(check).toHaveBeenCalledTimes(1);
    throttled.destroy();
  });
});
