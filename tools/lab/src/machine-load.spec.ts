import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MachineLoadMonitor } from './machine-load';

/** Real processes burning CPU: one outside the experiment (orphaned, so not our descendant), one inside. */
describe('MachineLoadMonitor', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tenk-load-'));
  const outsider = path.join(dir, 'tenk-busy-other');
  const insider = path.join(dir, 'tenk-busy-exp');
  let child: ChildProcess | undefined;

  beforeAll(() => {
    copyFileSync('/bin/sh', outsider);
    copyFileSync('/bin/sh', insider);
  });

  afterAll(() => {
    child?.kill('SIGKILL');
    spawnSync('pkill', ['-KILL', '-x', 'tenk-busy-other']);
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts a busy process outside the experiment as the machine's load, and its own child as the experiment", async () => {
    const monitor = new MachineLoadMonitor({ root: path.join(dir, 'checkout'), stateDir: path.join(dir, 'state') });
    await monitor.start(1);
    // The shell starts the loop in the background and exits: the loop is reparented, not ours.
    spawnSync(outsider, ['-c', `${outsider} -c 'while :; do :; done' >/dev/null 2>&1 &`]);
    child = spawn(insider, ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const summary = monitor.stop();
    // How much each gets depends on how busy the machine is; which side it is counted on does not.
    const other = monitor.otherCoresOf('tenk-busy-other');
    expect(other).toBeGreaterThan(0.02);
    expect(summary.otherCoresDuring).toBeGreaterThanOrEqual(other);
    expect(monitor.otherCoresOf('tenk-busy-exp')).toBe(0);
    expect(summary.experimentCoresDuring).toBeGreaterThan(0.02);
    expect(summary.seconds).toBeGreaterThan(2);
    expect(summary.loadAverageAtStart).toHaveLength(3);
  });
});
