import { spawn, type ChildProcess } from 'node:child_process';
import { FfmpegError } from '../errors';

const STDERR_TAIL_BYTES = 4_096;

/** Children still running, killed if this process exits (ffmpeg would otherwise outlive us). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface RunToolOptions {
  /** Receives stdout as it arrives (ffmpeg's -progress pipe:1). */
  onStdout?(chunk: string): void;
  /** Kills the tool (SIGKILL) and rejects. */
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Runs ffmpeg or ffprobe without a shell (arguments are never parsed by one), collecting
 * stdout and the tail of stderr; rejects with FfmpegError naming the tool's last error line.
 * A worker killed with SIGKILL takes its ffmpeg down too: ffmpeg dies of SIGPIPE on its next
 * progress write into the closed pipe.
 */
export function runTool(binary: string, args: string[], options: RunToolOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(abortError(binary, options.signal));
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      running.delete(child);
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(stdout);
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(abortError(binary, options.signal));
    };
    const timeoutMs = options.timeoutMs;
    const timer = timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
          finish(new FfmpegError(`${binary} took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`, stderr));
        }, timeoutMs)
      : undefined;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (options.onStdout) options.onStdout(chunk);
      else stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'ENOENT' ? ` (is it installed? set TENK_FFMPEG_PATH / TENK_FFPROBE_PATH)` : '';
      finish(new FfmpegError(`could not run ${binary}: ${error.message}${hint}`, stderr));
    });
    child.once('close', (code, signal) => {
      if (code === 0) return finish();
      const last = lastLine(stderr);
      finish(new FfmpegError(`${binary} failed (${signal ?? `exit ${code}`})${last ? `: ${last}` : ''}`, stderr));
    });
  });
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines.at(-1) ?? '';
}

function abortError(binary: string, signal: AbortSignal | undefined): Error {
  const reason = signal?.reason instanceof Error ? signal.reason.message : 'aborted';
  return new FfmpegError(`${binary} stopped: ${reason}`, '');
}
