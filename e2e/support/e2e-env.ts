/**
 * The e2e shop's ports: the same stack (PostgreSQL, Redis, Kafka, SMTP sink), but its own HTTP
 * ports, so `npm test` does not collide with a shop started by `npm start`.
 */
export const E2E_ENV: Record<string, string> = {
  TENK_API_PORT: '4001',
  // Three instances, so a drill can kill one and two still serve.
  TENK_API_INSTANCES: '3',
  TENK_MEDIA_WORKER_PORT: '4101',
  TENK_MAILER_PORT: '4102',
  TENK_REPORTS_PORT: '4103',
  TENK_PAYMENT_SIM_PORT: '4200',
  TENK_PAYMENT_SIM_ADMIN_PORT: '4201',
  TENK_BALANCER_PORT: '18080',
  TENK_BALANCER_ADMIN_PORT: '18081',
  TENK_MAP_PORT: '18082',
  TENK_SHOP_CONTROL_PORT: '18089',
  TENK_PUBLIC_URL: 'http://127.0.0.1:18080',
  // The balancer (and the suites' own clients) connect from 127.0.0.1: the api believes their
  // X-Forwarded-For, and nobody else's (a peer at 127.0.0.2 is a client, not a proxy).
  TENK_TRUSTED_PROXIES: '127.0.0.1',
  // Its own Bull queues and Kafka consumer groups: a shop from `npm start` on the same Redis
  // and Kafka never takes this shop's jobs, nor shares its consumer groups.
  TENK_QUEUE_PREFIX: 'tenk-e2e',
  TENK_KAFKA_GROUP_PREFIX: 'tenk-e2e',
  // A killed worker's job is taken over once its lock lapses: short, so the drill is short.
  TENK_QUEUE_LOCK_DURATION: '5s',
  TENK_QUEUE_STALLED_INTERVAL: '5s',
};

/** Where the e2e shop answers (set by global-setup for the suites). */
export function shopUrl(path = ''): string {
  return `${process.env['TENK_E2E_SHOP_URL'] ?? `http://127.0.0.1:${E2E_ENV['TENK_BALANCER_PORT']}`}${path}`;
}

/**
 * The e2e shop's first api instance, straight (not through the balancer): where /metrics, the
 * API docs (/docs, /docs-json) and /health/ready's dependency details are served.
 */
export function instanceUrl(path = ''): string {
  return `http://127.0.0.1:${process.env['TENK_API_PORT'] ?? E2E_ENV['TENK_API_PORT']}${path}`;
}

/** The e2e shop's launcher control API (stop, start, kill a process: the fault drills use it). */
export function controlUrl(path = ''): string {
  return `http://127.0.0.1:${E2E_ENV['TENK_SHOP_CONTROL_PORT']}${path}`;
}

/** The e2e shop's live architecture map. */
export function mapUrl(path = ''): string {
  return `http://127.0.0.1:${E2E_ENV['TENK_MAP_PORT']}${path}`;
}
