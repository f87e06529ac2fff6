import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
const RESULTS = path.join(ROOT, '.tenk', 'test-results');

export interface StageResult {
  name: string;
  passed: number;
  failed: number;
  /** Set when the stage could not run at all; it then counts as one failure. */
  error?: string;
  seconds: number;
}

/** Runs a command with its output on our console; resolves with its exit code. */
export function exec(command: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('close', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(127));
  });
}

const REGISTER = ['-r', path.join(ROOT, 'tools/register.cjs')];
export const bin = (name: string): string => path.join(ROOT, 'node_modules', '.bin', name);

/** A step that must succeed for the suites to mean anything (stack up, build, migrate). */
export async function setupStage(name: string, entry: string, args: string[] = []): Promise<StageResult> {
  const started = Date.now();
  const code = await exec(process.execPath, [...REGISTER, entry, ...args]);
  return { name, passed: 0, failed: code === 0 ? 0 : 1, seconds: (Date.now() - started) / 1000, ...(code === 0 ? {} : { error: `exit ${code}` }) };
}

/** A whole-repo check that passes or fails as one test (lint, type-check). */
export async function checkStage(name: string, command: string, args: string[]): Promise<StageResult> {
  const started = Date.now();
  const code = await exec(command, args);
  return { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, seconds: (Date.now() - started) / 1000 };
}

interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites: number;
  numTotalTestSuites: number;
}

/** A Jest run; counts its tests from Jest's JSON report (suites that crashed count as failed). */
export async function jestStage(name: string, config: string, extraArgs: string[] = []): Promise<StageResult> {
  const started = Date.now();
  mkdirSync(RESULTS, { recursive: true });
  const output = path.join(RESULTS, `${name}.json`);
  rmSync(output, { force: true });
  const code = await exec(process.execPath, [bin('jest'), '-c', config, '--json', `--outputFile=${output}`, ...extraArgs]);
  const seconds = (Date.now() - started) / 1000;
  if (!existsSync(output)) return { name, passed: 0, failed: 1, seconds, error: `jest exited with ${code} and wrote no report` };
  const report = JSON.parse(readFileSync(output, 'utf8')) as JestJson;
  const failed = report.numFailedTests + report.numRuntimeErrorTestSuites;
  // A non-zero exit with no failed test (e.g. a global setup that threw) is still a failure.
  return { name, passed: report.numPassedTests, failed: failed === 0 && code !== 0 ? 1 : failed, seconds };
}
