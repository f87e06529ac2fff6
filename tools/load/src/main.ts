/**
 * `npm run load -- <scenario> [options]`: virtual users against the shop, through its
 * balancer, with a live progress line; writes JSON + HTML to tools/load/results/.
 * See tools/load/README.md, or `npm run load -- --help`.
 */
import path from 'node:path';
import { parseOptions, USAGE } from './cli/options';
import { runLoad } from './run-load';

async function main(): Promise<number> {
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

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`load failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
