/** Balancer-wide counters: plain numbers bumped on the hot path, read by /status and /metrics. */
export class BalancerStats {
  readonly startedAt = Date.now();
  requests = 0;
  /** Requests being answered right now. */
  active = 0;
  /** Client connections open right now (all public listeners). */
  connections = 0;
  connectionsTotal = 0;
  /** Responses by status class: index 1 = 1xx ... 5 = 5xx. */
  readonly responses = new Float64Array(6);
  rateLimited = 0;
  rateDelayed = 0;
  bodyTooLarge = 0;
  badRequests = 0;
  noLivePeers = 0;
  /** Refused with 503 + Retry-After: every usable peer at max_conns, the queue full or waited out. */
  atCapacity = 0;
  upstreamErrors = 0;
  upstreamTimeouts = 0;
  retries = 0;
  clientAborts = 0;
  websocketsActive = 0;
  websocketsTotal = 0;
  reloads = 0;
  reloadFailures = 0;
  lastReloadAt = 0;
  lastReloadError = '';
}
