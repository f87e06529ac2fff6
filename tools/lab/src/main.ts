/**
 * The lab: one experiment per tutorial claim, each printing its numbers and writing JSON + SVG
 * to tools/lab/results/. Usage: npm run lab -- list | all | <experiment> [--quick] [--option value ...]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type TenkConfig } from '@tenk/config';
import type { Experiment, LabContext } from './experiment';
import { EXPERIMENTS } from './experiments';
import { MachineLoadMonitor } from './machine-load';
import { saveReport } from './report';
import { gitState, QUIET_CORES, runStamp } from './run-stamp';

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === 'list' || name === '--help') {
    console.log('usage: npm run lab -- <experiment>|all [--quick] [--option value ...]\n\nexperiments:');
    for (const experiment of EXPERIMENTS) console.log(`  ${experiment.name.padEnd(18)} ${experiment.summary}`);
    console.log(`  ${'all'.padEnd(18)} every experiment above, one after the other`);
    return;
  }
  const quick = args.includes('--quick') || process.env['TENK_LAB_QUICK'] === '1';
  const config = loadConfig();
  // Quick runs and test runs write elsewhere, so the committed (quoted) results stay as measured.
  const resultsDir =
    process.env['TENK_LAB_RESULTS_DIR'] ?? (quick ? path.join(config.paths.state, 'lab-quick') : path.join(__dirname, '..', 'results'));
  if (name === 'all') {
    await runAll(config, args, quick, resultsDir);
    return;
  }
  const experiment = EXPERIMENTS.find((candidate) => candidate.name === name);
  if (!experiment) throw new Error(`no experiment named "${name}"; try: ${EXPERIMENTS.map((e) => e.name).join(', ')}, all`);
  await runOne(experiment, { config, args, quick, resultsDir, command: [name, ...args] });
}

/**
 * `npm run lab -- all`: every experiment in turn, each writing its result as it ends, with how
 * long the whole takes said up front (from the durations the committed results recorded).
 */
async function runAll(config: TenkConfig, args: string[], quick: boolean, resultsDir: string): Promise<void> {
  const durations = EXPERIMENTS.map((experiment) => recordedSeconds(path.join(resultsDir, `${experiment.name}.json`)));
  const known = durations.filter((seconds): seconds is number => seconds !== null);
  const estimate =
    known.length > 0
      ? `about ${Math.ceil(known.reduce((a, b) => a + b, 0) / 60)} minutes${known.length < durations.length ? ` for ${known.length} of them (the others have no recorded duration yet)` : ''}`
      : 'no recorded durations yet';
  console.log(`running ${EXPERIMENTS.length} experiments${quick ? ' (quick)' : ''}: ${estimate}`);
  const started = Date.now();
  const failed: string[] = [];
  for (const [index, experiment] of EXPERIMENTS.entries()) {
    const elapsed = Math.round((Date.now() - started) / 60_000);
    const recorded = durations[index];
    console.log(
      `\n== [${index + 1}/${EXPERIMENTS.length}] ${experiment.name}${recorded != null ? ` (about ${Math.ceil(recorded / 60)} min)` : ''}; ${elapsed} min so far`,
    );
    try {
      await runOne(experiment, { config, args, quick, resultsDir, command: ['all', ...args] });
    } catch (error) {
      failed.push(experiment.name);
      console.error(`${experiment.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  console.log(`\nall done in ${Math.round((Date.now() - started) / 60_000)} min; results in ${path.relative(process.cwd(), resultsDir)}`);
  if (failed.length > 0) throw new Error(`${failed.length} experiment(s) failed: ${failed.join(', ')}`);
}

/** How long an experiment's last result took, if it recorded it. */
function recordedSeconds(file: string): number | null {
  try {
    const seconds = (JSON.parse(readFileSync(file, 'utf8')) as { run?: { seconds?: unknown } }).run?.seconds;
    return typeof seconds === 'number' ? seconds : null;
  } catch {
    return null;
  }
}

async function runOne(
  experiment: Experiment,
  input: { config: TenkConfig; args: string[]; quick: boolean; resultsDir: string; command: string[] },
): Promise<void> {
  const { args, quick } = input;
  const context: LabContext = {
    config: input.config,
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
    log: (message) => process.stderr.write(`[lab ${experiment.name}] ${message}\n`),
  };
  const started = Date.now();
  // Before anything starts: the commit under test, and how busy the machine is without us.
  const git = gitState();
  const machineLoad = new MachineLoadMonitor({ root: path.resolve(__dirname, '../../..'), stateDir: context.config.paths.state });
  context.log(`measuring how busy the machine is for ${quick ? 1 : 3} s before starting`);
  await machineLoad.start(quick ? 1 : 3);
  const result = await experiment.run(context);
  const stamp = await runStamp({
    config: context.config,
    script: 'lab',
    args: input.command,
    git,
    load: machineLoad.stop(),
    seconds: (Date.now() - started) / 1_000,
  });
  const busy = stamp.quiet ? [] : [busyNote(stamp.load)];
  if (git.dirty) busy.push(`measured with uncommitted changes on top of ${git.commit?.slice(0, 12) ?? 'an unknown commit'}`);
  const saved = await saveReport(
    input.resultsDir,
    experiment.name,
    { ...result, notes: [...(result.notes ?? []), ...busy, ...(quick ? ['quick run: a smoke test, not a measurement'] : [])] },
    stamp,
  );
  console.log(`\n${result.headline}\n`);
  for (const [label, values] of Object.entries(result.measurements)) {
    console.log(
      `${label}: ${Object.entries(values)
        .map(([key, value]) => `${key}=${value}`)
        .join('  ')}`,
    );
  }
  for (const note of busy) console.log(`\nnote: ${note}`);
  console.log(
    `\nwrote ${path.relative(process.cwd(), saved.json)} and ${path.relative(process.cwd(), saved.svg)} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
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
