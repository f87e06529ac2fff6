import { EnvReader } from '../env-reader';

/** Report files (apps/reports): how long they are kept and how wide a request may be. */
export interface ReportsConfig {
  /** A finished report's file is deleted this long after it was written. */
  fileTtlMs: number;
  /** How often the reports worker looks for expired files. */
  expirySweepMs: number;
  /** The widest date range one report may cover, in days. */
  maxRangeDays: number;
}

export function readReports(env: EnvReader): ReportsConfig {
  return {
    fileTtlMs: env.durationMs('TENK_REPORT_TTL', 24 * 3_600_000),
    expirySweepMs: env.durationMs('TENK_REPORT_EXPIRY_SWEEP', 10 * 60_000),
    maxRangeDays: env.int('TENK_REPORT_MAX_RANGE_DAYS', 366, { min: 1, max: 3660 }),
  };
}
