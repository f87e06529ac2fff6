import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PORT_VARIABLES, type TenkConfig } from '@tenk/config';
import { serviceDirs } from '../layout';
import { ensurePortFree, isListening } from '../ports';
import type { InfraService, ServiceStatus } from '../service';
import { waitFor } from '../shell';
import { atSpot, LOCAL, type Spot } from '../spot';
import { livePid, stopPid } from './pidfile';

const REGISTER = path.resolve(__dirname, '../../../register.cjs');
const MAIN = path.resolve(__dirname, '../smtp-sink/main.ts');
/** The built sink (npm run build): lighter than compiling the sources at start. */
const BUILT = path.resolve(__dirname, '../../../../dist/tools/infra/src/smtp-sink/main.js');

function files(config: TenkConfig, name = 'smtp-sink') {
  const dirs = serviceDirs(config, name);
  return { ...dirs, pid: path.join(dirs.run, 'smtp-sink.pid') };
}

async function messageCount(config: TenkConfig, host: string): Promise<number> {
  const response = await fetch(`http://${host}:${config.mail.sinkHttpPort}/messages`, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return ((await response.json()) as unknown[]).length;
}

/**
 * A local SMTP server that keeps mail as files and shows it over HTTP (smtp-server), at a
 * spot: this machine's loopback, or a host of tools/hosts (listening on all of its addresses).
 */
export function smtpSinkAt(spot: Spot = LOCAL, name = 'smtp-sink'): InfraService {
  const host = spot.address;
  return {
    name,
    after: [],
    port: (config) => config.mail.smtp.port,
    extraPorts: (config) => [config.mail.sinkHttpPort],
    packages: () => [],
    dataDirs: (config) => [files(config, name).data],

    async status(config): Promise<ServiceStatus> {
      const pid = livePid(files(config, name).pid);
      if (!pid) return { running: false, healthy: false };
      try {
        const count = await messageCount(config, host);
        const smtpUp = await isListening(config.mail.smtp.port, host);
        return {
          running: true,
          healthy: smtpUp,
          pid,
          detail: `${count} message${count === 1 ? '' : 's'}, HTTP API :${config.mail.sinkHttpPort}`,
        };
      } catch (error) {
        return { running: true, healthy: false, pid, detail: (error as Error).message };
      }
    },

    async start(config, log) {
      const f = files(config, name);
      if (!livePid(f.pid)) {
        await ensurePortFree(name, config.mail.smtp.port, PORT_VARIABLES.smtp, host);
        await ensurePortFree(name, config.mail.sinkHttpPort, PORT_VARIABLES.smtpHttp, host);
        log(`starting on ${host}:${config.mail.smtp.port} (HTTP API :${config.mail.sinkHttpPort})`);
        const out = openSync(f.log, 'a');
        const args = existsSync(BUILT) ? [BUILT] : ['-r', REGISTER, MAIN];
        const child = spawn(...atSpot(spot, process.execPath, args), {
          detached: true,
          stdio: ['ignore', out, out],
          env: { ...process.env, TENK_LOG_LEVEL: 'info', ...(spot.netns ? { TENK_BIND_HOST: '0.0.0.0' } : {}) },
        });
        closeSync(out);
        child.unref();
        writeFileSync(f.pid, String(child.pid));
      }
      if (!(await waitFor(async () => (await this.status(config)).healthy, 20_000)))
        throw new Error(`${name} did not start within 20 s; see ${f.log}`);
    },

    async stop(config) {
      await stopPid(files(config, name).pid);
    },
  };
}

export const smtpSink: InfraService = smtpSinkAt();
