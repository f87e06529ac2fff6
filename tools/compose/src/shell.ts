import { spawn, type SpawnOptions } from 'node:child_process';

export type Log = (line: string) => void;

export interface Ran {
  code: number;
  output: string;
}

export interface RunOptions extends SpawnOptions {
  /** Bytes for the command's standard input. */
  input?: string | Buffer;
  /** Each output line goes here (progress); without it the output is only captured. */
  log?: Log;
  /** Only lines this accepts are logged (all are captured). */
  show?: (line: string) => boolean;
  /** Kills the command after this long (then code is 124). */
  timeoutMs?: number;
}

/** Runs a command to completion, capturing stdout and stderr together. Never throws for a non-zero exit. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<Ran> {
  const { input, log, show, timeoutMs, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...spawnOptions, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let pending = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
      if (!log) return;
      const lines = (pending + text).split(/\r?\n|\r/);
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() && (!show || show(line))) log(line.trimEnd());
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const timer = timeoutMs ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: signal === 'SIGKILL' && timeoutMs ? 124 : (code ?? 1), output });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** Like run(), but throws with the command's last output lines when it fails. */
export async function runOrThrow(command: string, args: string[], options: RunOptions = {}): Promise<Ran> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}:\n${lastLines(result.output, 25)}`);
  return result;
}

export function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(0)} s`;
