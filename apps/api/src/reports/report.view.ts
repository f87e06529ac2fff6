import type { ReportState, ReportType } from '@tenk/contracts';
import type { ReportRequest } from '@tenk/reporting';

/** GET /reports/:id */
export interface ReportView {
  id: string;
  url: string;
  type: ReportType;
  from: string;
  to: string;
  state: ReportState;
  error: string | null;
  /** Set once ready: where to fetch the CSV, until it expires. */
  downloadUrl: string | null;
  rows: number | null;
  bytes: number | null;
  createdAt: string;
  completedAt: string | null;
  expiresAt: string | null;
}

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
