const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Reads a duration as people write it on a command line: `250ms`, `5s`, `1.5m`, `2h`; a bare
 * number means seconds. Returns milliseconds.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) throw new Error(`${what} "${text}" is not a duration: write e.g. 500ms, 30s, 2m`);
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 's']);
}

/** `1m 05s`, `12.0 s`, `350 ms`: short, for progress lines and reports. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** `0:42`, `12:05`: elapsed time on the progress line. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1_000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}
