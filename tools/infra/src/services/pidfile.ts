import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isAlive, sleep } from '../shell';

/** The pid in a pid file, if that process still runs. */
export function livePid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** SIGTERM, wait for exit (then SIGKILL after `graceMs`), remove the pid file. */
export async function stopPid(pidFile: string, graceMs = 20_000): Promise<void> {
  const pid = livePid(pidFile);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}
