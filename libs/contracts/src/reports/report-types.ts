/**
 * The reports a user can request (POST /reports). `my-orders` covers the caller's own orders;
 * the sales reports cover every customer and need the admin role.
 */
export const REPORT_TYPES = ['my-orders', 'sales-by-day', 'sales-by-product'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

const ADMIN_ONLY: ReadonlySet<ReportType> = new Set(['sales-by-day', 'sales-by-product']);

/** Reports over all customers' sales: admins only. */
export function reportNeedsAdmin(type: ReportType): boolean {
  return ADMIN_ONLY.has(type);
}

/** Where a report is in its life: requested -> building -> ready -> expired, or failed. */
export const REPORT_STATES = ['queued', 'building', 'ready', 'failed', 'expired'] as const;
export type ReportState = (typeof REPORT_STATES)[number];
