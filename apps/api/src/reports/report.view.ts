import type { ReportView } from '@tenk/contracts/api';
import type { ReportRequest } from '@tenk/reporting';

/** GET /reports/:id: the shared API contract's shape. */
export type { ReportView } from '@tenk/contracts/api';

export function toReportView(request: ReportRequest): ReportView {
  const url = `/reports/${request.id}`;
  return {
    id: request.id,
    url,
    type: request.type,
    from: request.fromDay,
    to: request.toDay,
    state: request.state,
    error: request.error,
    downloadUrl: request.state === 'ready' ? `${url}/download` : null,
    rows: request.rowCount,
    bytes: request.bytes,
    createdAt: request.createdAt.toISOString(),
    completedAt: request.completedAt?.toISOString() ?? null,
    expiresAt: request.expiresAt?.toISOString() ?? null,
  };
}
