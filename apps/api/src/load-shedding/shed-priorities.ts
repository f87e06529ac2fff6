import type { ShedPriority } from '@tenk/resilience';

/**
 * Which requests an overloaded instance refuses first (apps/api's table for LoadShedder):
 * - exempt: health, readiness and metrics, so the balancer and Prometheus always see the truth;
 * - high (shed last): checkout (POST /orders) and sign-in/sign-up: money and customers;
 * - low (shed first): catalog browsing, product images, video playback and reports: a retry
 *   after a second costs nobody anything, and the storefront retries them by itself;
 * - normal: the rest (sessions, a customer's orders, admin).
 * A plain function of method and path, read before routing and body parsing, so a refusal
 * costs almost nothing; a route's decorator could not be read that early.
 */
export function shedPriorityOf(method: string, path: string): ShedPriority {
  if (path === '/health' || path.startsWith('/health/') || path === '/metrics') return 'exempt';
  if (method === 'POST') {
    if (path === '/orders' || path === '/auth/login' || path === '/users') return 'high';
    if (path === '/reports' || path.startsWith('/reports/')) return 'low';
    return 'normal';
  }
  if (method === 'GET' || method === 'HEAD') {
    if (path === '/products' || path.startsWith('/products/') || path.startsWith('/images/') || path.startsWith('/reports')) return 'low';
    if (path.startsWith('/videos/') && path.includes('/hls/')) return 'low';
  }
  return 'normal';
}
