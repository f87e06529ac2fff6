import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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
  return {
    name,
    passed: 0,
    failed: code === 0 ? 0 : 1,
    seconds: (Date.now() - started) / 1000,
    ...(code === 0 ? {} : { error: `exit ${code}` }),
  };
}

/** A whole-repo check that passes or fails as one test (lint, type-check). */
export async function checkStage(name: string, command: string, args: string[]): Promise<StageResult> {
  const started = Date.now();
  const code = await exec(command, args);
  return { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, seconds: (Date.now() - started) / 1000 };
}

/** Nx as npm test runs it: no daemon, no cloud, plain logs (no terminal UI). */
const NX_ENV = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

/** Runs `nx <args>` with our console; resolves with its exit code. */
export function nx(args: string[]): Promise<number> {
  return exec(bin('nx'), args, NX_ENV);
}

/** The projects that have an Nx target (`nx show projects --with-target <target>`). */
export async function projectsWithTarget(target: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin('nx'), ['show', 'projects', '--with-target', target, '--json'], {
      cwd: ROOT,
      env: { ...process.env, ...NX_ENV },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve((JSON.parse(out) as string[]).sort()) : reject(new Error(`nx show projects exited with ${code}`)),
    );
  });
}

/** A step run as one Nx command: lint passes or fails as one test; a setup step (build) counts only when it fails. */
export async function nxCheckStage(name: string, args: string[], { setup = false } = {}): Promise<StageResult> {
  const started = Date.now();
  const code = await nx(args);
  return {
    name,
    passed: code === 0 && !setup ? 1 : 0,
    failed: code === 0 ? 0 : 1,
    seconds: (Date.now() - started) / 1000,
    ...(code === 0 ? {} : { error: `nx exited with ${code}` }),
  };
}

interface TaskReport {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites: number;
}

/**
 * A Jest target of every project that has it, through `nx run-many -t <target>`: each task's
 * Jest writes its counts to .tenk/test-results/<target>/<project>.json (jest-results-reporter.cjs;
 * restored from Nx's cache on a hit). A project with no report, or a failed task with no failed
 * test (a crashed global setup), counts as one failure.
 */
export async function nxJestStage(name: string, target: string, extraArgs: string[] = []): Promise<StageResult> {
  const started = Date.now();
  const dir = path.join(RESULTS, target);
  rmSync(dir, { recursive: true, force: true });
  const projects = await projectsWithTarget(target);
  // Streamed, each line prefixed with its project: Nx's default outside a terminal prints a task's
  // output only when the task ends, and the e2e task alone runs for many minutes.
  const code = await nx(['run-many', '-t', target, '--outputStyle=stream', ...extraArgs]);
  const seconds = (Date.now() - started) / 1000;
  let passed = 0;
  let failed = 0;
  const missing: string[] = [];
  const reports = new Set(existsSync(dir) ? readdirSync(dir) : []);
  for (const project of projects) {
    if (!reports.has(`${project}.json`)) {
      missing.push(project);
      failed += 1;
      continue;
    }
    const report = JSON.parse(readFileSync(path.join(dir, `${project}.json`), 'utf8')) as TaskReport;
    passed += report.numPassedTests;
    failed += report.numFailedTests + report.numRuntimeErrorTestSuites;
  }
  if (code !== 0 && failed === 0) failed = 1;
  const error = missing.length > 0 ? `no report from ${missing.join(', ')}` : code !== 0 ? `nx exited with ${code}` : undefined;
  return { name, passed, failed, seconds, ...(error ? { error } : {}) };
}
