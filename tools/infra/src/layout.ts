import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { TenkConfig } from '@tenk/config';

/** Where each service keeps its data, logs and pid file: all under the one state folder. */
export function serviceDirs(config: TenkConfig, service: string): { data: string; log: string; run: string } {
  const dirs = {
    data: path.join(config.paths.data, service),
    log: path.join(config.paths.logs, `${service}.log`),
    run: path.join(config.paths.run, service),
  };
  mkdirSync(config.paths.logs, { recursive: true });
  mkdirSync(dirs.run, { recursive: true });
  return dirs;
}

/**
 * A folder for Unix sockets: under the state folder when its path is short enough for a
 * socket (about 100 bytes), otherwise a short folder in the system's temp dir.
 */
export function socketDir(config: TenkConfig): string {
  const preferred = path.join(config.paths.run, 'sockets');
  if (preferred.length <= 80) return preferred;
  return path.join(os.tmpdir(), `tenk-${createHash('sha1').update(config.paths.state).digest('hex').slice(0, 10)}`);
}
