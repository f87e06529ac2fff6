import { QUEUES } from '../queues';
import { expectObject, expectString } from '../validation';
import { jobContract } from './job-contract';

/** Build one requested report's file (apps/reports). Job id: the report id. */
export interface BuildReportJobV1 {
  reportId: string;
}

export const BUILD_REPORT_V1 = jobContract<BuildReportJobV1>(QUEUES.report, 'build', 1, (input) => {
  const job = expectObject(input, 'BuildReportJobV1');
  return { reportId: expectString(job['reportId'], 'BuildReportJobV1.reportId') };
});

/** Delete report files past their time to live (a repeatable job: one sweep at a time shop-wide). */
export type ExpireReportsJobV1 = Record<string, never>;

export const EXPIRE_REPORTS_V1 = jobContract<ExpireReportsJobV1>(QUEUES.report, 'expire', 1, (input) => {
  expectObject(input, 'ExpireReportsJobV1');
  return {};
});
