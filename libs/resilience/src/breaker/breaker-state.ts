/** The three states a breaker shows to the outside, in logs, metrics and /health/ready. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** `tenk_breaker_state` values. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

/** What the window held when a breaker changed state: enough to say why in one log line. */
export interface WindowSnapshot {
  calls: number;
  failures: number;
  slowCalls: number;
  failureRate: number;
  slowCallRate: number;
}

export interface BreakerTransition {
  breaker: string;
  from: BreakerState;
  to: BreakerState;
  window: WindowSnapshot;
  /** The failure that tripped it (open), if any. */
  reason?: string;
}
