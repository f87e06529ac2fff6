// Scratch: api CPU profile by component, tracing off vs on (not committed).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Shop } from '@tenk/shop';
import { selfTimeByComponent, type CpuProfile } from './cpu-profile';
import { sampleProcess } from './process-stats';

const ENV: Record<string, string> = {
  TENK_API_PORT: '6001', TENK_MEDIA_WORKER_PORT: '6101', TENK_MAILER_PORT: '6102', TENK_REPORTS_PORT: '6103',
  TENK_PAYMENT_SIM_PORT: '6200', TENK_PAYMENT_SIM_ADMIN_PORT: '6201', TENK_BALANCER_PORT: '29080', TENK_BALANCER_ADMIN_PORT: '29081',
  TENK_MAP_PORT: '29082', TENK_SHOP_CONTROL_PORT: '29089', TENK_PUBLIC_URL: 'http://127.0.0.1:29080', TENK_QUEUE_PREFIX: 'tenk-tprof',
  TENK_KAFKA_GROUP_PREFIX: 'tenk-tprof', TENK_LOG_LEVEL: 'warn',
};

async function run(variant: string, extra: Record<string, string>) {
  const dir = `/tmp/tprof/${variant}-${Date.now()}`;
  mkdirSync(dir, { recursive: true });
  const shop = await Shop.start({ name: 'tprof', apiInstances: 1, components: ['payment-sim', 'api', 'balancer'], env: { ...ENV, ...extra }, apiNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], log: () => undefined });
  const pid = shop.process('api-1').pid!;
  const bpid = shop.process('balancer').pid!;
  const url = 'http://127.0.0.1:29080/products?limit=20';
  execFileSync('wrk', ['-t1', '-c8', '-d3s', url]);
  const b0 = sampleProcess(bpid), a0 = sampleProcess(pid);
  const started = Date.now();
  const out = execFileSync('wrk', ['-t1', '-c8', '-d15s', url], { encoding: 'utf8' });
  const ended = Date.now();
  const b1 = sampleProcess(bpid), a1 = sampleProcess(pid);
  const reqs = Number(/(\d+) requests in/.exec(out)![1]);
  let exited = 0;
  const watch = setInterval(() => { if (!exited && !existsSync(`/proc/${pid}`)) exited = Date.now(); }, 10);
  await shop.stop();
  clearInterval(watch);
  exited ||= Date.now();
  const file = readdirSync(dir).find((n) => n.includes(`.${pid}.0.`))!;
  const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
  const win = { fromEndUs: (exited - started - 300) * 1000, toEndUs: (exited - ended + 300) * 1000 };
  const share = (ended - started - 600) / (ended - started);
  const n = reqs * share;
  const rows = selfTimeByComponent(prof, win).filter((r) => r.component !== '(idle)' && r.component !== '(root)');
  const total = rows.reduce((s, r) => s + r.us, 0);
  console.log(`\n== ${variant}: ${reqs} req; /proc api ${(((a1.cpuMs - a0.cpuMs) * 1000) / reqs).toFixed(1)} µs, balancer ${(((b1.cpuMs - b0.cpuMs) * 1000) / reqs).toFixed(1)} µs; profile total ${(total / n).toFixed(1)} µs`);
  for (const r of rows.slice(0, 30)) console.log(`  ${(r.us / n).toFixed(1).padStart(7)}  ${r.component}`);
}

(async () => {
  const which = process.argv[2] ?? 'both';
  if (which !== 'on') await run('off', { TENK_OTLP_ENDPOINT: 'off' });
  if (which !== 'off') await run('on5', { TENK_OTLP_ENDPOINT: 'http://127.0.0.1:54318', TENK_TRACE_SAMPLE_RATIO: '0.05' });
})().catch((e) => { console.error(e); process.exit(1); });
