/**
 * The tutorial cannot rot: every `npm run lab -- <experiment>` command in docs/tutorial runs
 * here, in quick mode (a short smoke run, results written to .tenk/lab-quick, never over the
 * committed numbers), against the real stack. Each must finish and write its JSON.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { labCommands } from '@tenk/lab';

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(ROOT, '.tenk/lab-quick');
const commands = labCommands();

function runLab(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', path.join(ROOT, 'tools/register.cjs'), path.join(ROOT, 'tools/lab/src/main.ts'), ...args, '--quick'],
      {
        cwd: ROOT,
        env: { ...process.env, TENK_LAB_RESULTS_DIR: RESULTS },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

describe("the tutorial's lab commands, in quick mode", () => {
  it('finds an experiment in each of the five pattern chapters (and runs any other chapter has)', () => {
    const chapters = new Set(commands.map((command) => command.chapter.slice(0, 2)));
    for (const pattern of ['01', '02', '03', '04', '05']) expect(chapters).toContain(pattern);
  });

  it.each(commands.map((command) => [`${command.chapter}:${command.line}`, command] as const))(
    '%s runs and writes its results',
    async (_where, command) => {
      const json = path.join(RESULTS, `${command.experiment}.json`);
      rmSync(json, { force: true });
      const { code, output } = await runLab([command.experiment, ...command.args]);
      if (code !== 0) throw new Error(`npm run lab -- ${command.experiment} --quick exited with ${code}:\n${output.slice(-3000)}`);
      expect(existsSync(json)).toBe(true);
      const result = JSON.parse(readFileSync(json, 'utf8')) as { experiment: string; headline: string; notes: string[] };
      expect(result.experiment).toBe(command.experiment);
      expect(result.headline.length).toBeGreaterThan(10);
      expect(result.notes).toContain('quick run: a smoke test, not a measurement');
    },
    600_000,
  );
});
