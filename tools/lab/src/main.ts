/**
 * The lab: one experiment per tutorial claim, each printing its numbers and writing JSON + SVG
 * to tools/lab/results/. Usage: npm run lab -- list | <experiment> [--option value ...]
 */
import path from 'node:path';
import { loadConfig } from '@tenk/config';
import type { LabContext } from './experiment';
import { EXPERIMENTS } from './experiments';
import { MachineLoadMonitor } from './machine-load';
import { saveReport } from './report';
import { gitState, QUIET_CORES, runStamp } from './run-stamp';

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === 'list' || name === '--help') {
    console.log('usage: npm run lab -- <experiment> [--option value ...]\n\nexperiments:');
    for (const experiment of EXPERIMENTS) console.log(`  ${experiment.name.padEnd(12)} ${experiment.summary}`);
    return;
  }
  const experiment = EXPERIMENTS.find((candidate) => candidate.name === name);
  if (!experiment) throw new Error(`no experiment named "${name}"; try: ${EXPERIMENTS.map((e) => e.name).join(', ')}`);

  const quick = args.includes('--quick') || process.env['TENK_LAB_QUICK'] === '1';
  const context: LabContext = {
    config: loadConfig(),
    args,
    option(option, fallback) {
      const index = args.indexOf(`--${option}`);
      if (index === -1) return fallback;
      const value = Number(args[index + 1]);
      if (!Number.isFinite(value)) throw new Error(`--${option} needs a number, got "${args[index + 1] ?? ''}"`);
      return value;
    },
    flag: (option) => args.includes(`--${option}`),
    quick,
    seconds: (normal, quickSeconds) => (quick ? (quickSeconds ?? Math.max(1, Math.round(normal / 10))) : normal),
    log: (message) => process.stderr.write(`[lab ${name}] ${message}\n`),
  };
  const started = Date.now();
  // Before anything starts: the commit under test, and how busy the machine is without us.
  const git = gitState();
  const machineLoad = new MachineLoadMonitor({ root: path.resolve(__dirname, '../../..'), stateDir: context.config.paths.state });
  context.log(`measuring how busy the machine is for ${quick ? 1 : 3} s before starting`);
  await machineLoad.start(quick ? 1 : 3);
  const result = await experiment.run(context);
  const stamp = await runStamp({ config: context.config, script: 'lab', git, load: machineLoad.stop() });
  // Quick runs and test runs write elsewhere, so the committed (quoted) results stay as measured.
  const resultsDir = process.env['TENK_LAB_RESULTS_DIR'] ?? (quick ? path.join(context.config.paths.state, 'lab-quick') : path.join(__dirname, '..', 'results'));
  const busy = stamp.quiet ? [] : [busyNote(stamp.load)];
  if (git.dirty) busy.push(`measured with uncommitted changes on top of ${git.commit?.slice(0, 12) ?? 'an unknown commit'}`);
  const saved = await saveReport(resultsDir, experiment.name, { ...result, notes: [...(result.notes ?? []), ...busy, ...(quick ? ['quick run: a smoke test, not a measurement'] : [])] }, stamp);
  console.log(`\n${result.headline}\n`);
  for (const [label, values] of Object.entries(result.measurements)) {
    console.log(`${label}: ${Object.entries(values).map(([key, value]) => `${key}=${value}`).join('  ')}`);
  }
  for (const note of busy) console.log(`\nnote: ${note}`);
  console.log(`\nwrote ${path.relative(process.cwd(), saved.json)} and ${path.relative(process.cwd(), saved.svg)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/** The sentence a result from a busy machine carries, in its notes and on the console. */
function busyNote(load: ReturnType<MachineLoadMonitor['stop']>): string {
  const who = load.busiestOthers.map((entry) => `${entry.command} ${entry.cores}`).join(', ');
  return `not a quiet machine: other processes used ${load.otherCoresBefore} cores before the run and ${load.otherCoresDuring} on average during it (at most ${load.otherCoresDuringMax}; quiet is <= ${QUIET_CORES})${who ? `, mostly ${who}` : ''}; rerun on a quiet machine before quoting these numbers`;
}

main().catch((error: unknown) => {
  console.error(`lab failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
