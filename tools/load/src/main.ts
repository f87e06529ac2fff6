/**
 * `npm run load -- <scenario> [options]`: virtual users against the shop, through its
 * balancer, with a live progress line; writes JSON + HTML to tools/load/results/.
 * See tools/load/README.md, or `npm run load -- --help`.
 */
import path from 'node:path';
import { parseOptions, RESULTS_DIR, USAGE } from './cli/options';
import { rebuildReports } from './report/rebuild';
import { runLoad } from './run-load';

async function main(): Promise<number> {
  if (process.argv[2] === 'report') return report(process.argv.slice(3));
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`load: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(USAGE);
    return 0;
  }
  const output = await runLoad(options, {
    stream: process.stderr,
    tty: process.stderr.isTTY === true,
    onStopRequest(stop) {
      let stopping = false;
      process.on('SIGINT', () => {
        if (stopping) process.exit(130);
        stopping = true;
        process.stderr.write('\nstopping early (Ctrl-C again to quit without a report)\n');
        stop();
      });
    },
  });
  process.stdout.write(
    `\n${output.summary}\n\nwrote ${path.relative(process.cwd(), output.json)} and ${path.relative(process.cwd(), output.html)}\n`,
  );
  const missed = output.result.verdict.checks.filter((check) => !check.met);
  return options.failOnTarget && missed.length > 0 ? 1 : 0;
}

/** `npm run load -- report [FILE.json ...]`: rebuilds the HTML pages and the index from the JSON. */
async function report(files: readonly string[]): Promise<number> {
  const unknown = files.find((file) => file.startsWith('-') || !file.endsWith('.json'));
  if (unknown !== undefined) {
    process.stderr.write(
      `load report: "${unknown}" is not a result file; give .json files from ${path.relative(process.cwd(), RESULTS_DIR)}, or none for all\n`,
    );
    return 2;
  }
  const outcome = await rebuildReports(RESULTS_DIR, files, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(
    `rebuilt ${outcome.rebuilt.length} report(s)${files.length === 0 ? ` and ${path.relative(process.cwd(), outcome.index)}` : ''}\n`,
  );
  for (const { file, reason } of outcome.skipped) process.stdout.write(`skipped ${path.relative(process.cwd(), file)}: ${reason}\n`);
  return outcome.rebuilt.length === 0 && outcome.skipped.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`load failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
