// A Jest reporter that, inside an Nx task (`nx test api`, `nx run-many -t int-test`), writes the
// run's counts to .tenk/test-results/<target>/<project>.json. `npm test` (tools/test-runner)
// adds them up; the file is the `test` target's declared output, so an Nx cache hit restores it
// with the terminal output. Outside Nx (plain `npx jest`) it writes nothing.
const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');

class ResultsReporter {
  onRunComplete(_contexts, results) {
    const project = process.env.NX_TASK_TARGET_PROJECT;
    const target = process.env.NX_TASK_TARGET_TARGET;
    if (!project || !target) return;
    const dir = path.join(__dirname, '../../.tenk/test-results', target);
    mkdirSync(dir, { recursive: true });
    const { numPassedTests, numFailedTests, numRuntimeErrorTestSuites, numTotalTestSuites, numTotalTests } = results;
    const report = { project, target, numPassedTests, numFailedTests, numRuntimeErrorTestSuites, numTotalTestSuites, numTotalTests };
    writeFileSync(path.join(dir, `${project}.json`), `${JSON.stringify(report)}\n`);
  }
}

module.exports = ResultsReporter;
