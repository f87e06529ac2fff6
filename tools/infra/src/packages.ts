import { spawn } from 'node:child_process';
import { isRoot, run } from './shell';
import type { PackageNeed } from './service';

/**
 * Installs missing Debian packages with apt-get when running as root, refreshing the package
 * lists once if a package is not found. Not root: throws with the exact command to run.
 */
export async function ensurePackages(needs: PackageNeed[], log: (line: string) => void): Promise<void> {
  const missing = [...new Set(needs.filter((need) => !need.present()).map((need) => need.debian))];
  if (missing.length === 0) return;
  const command = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!isRoot()) {
    throw new Error(`Missing system packages: ${missing.join(', ')}.\nInstall them with:\n  sudo ${command}\nthen run this command again.`);
  }
  if (!(await hasApt())) {
    throw new Error(
      `Missing system packages: ${missing.join(', ')}, and this machine has no apt-get. Install their equivalents with your package manager (or use docker/).`,
    );
  }
  log(`installing ${missing.join(', ')} with apt-get (first run only)`);
  let result = await aptInstall(missing, log);
  if (result !== 0) {
    log('refreshing package lists (apt-get update)');
    await aptRun(['update', '-q'], log);
    result = await aptInstall(missing, log);
  }
  if (result !== 0) throw new Error(`apt-get could not install ${missing.join(', ')} (exit ${result}); see the output above.`);
  const still = needs.filter((need) => !need.present()).map((need) => need.debian);
  if (still.length > 0) throw new Error(`apt-get finished but these are still missing: ${[...new Set(still)].join(', ')}`);
}

async function hasApt(): Promise<boolean> {
  return (await run('sh', ['-c', 'command -v apt-get'])).code === 0;
}

function aptInstall(packages: string[], log: (line: string) => void): Promise<number> {
  return aptRun(['install', '-y', '-q', '--no-install-recommends', ...packages], log);
}

/** Streams apt's progress lines to the log so a long install shows it is alive. */
function aptRun(args: string[], log: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('apt-get', args, {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (/^(Get:|Unpacking|Setting up|E:)/.test(line)) log(`  ${line.trim().slice(0, 110)}`);
      }
    };
    child.stdout.on('data', forward);
    child.stderr.on('data', forward);
    child.on('close', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}
