import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { specProcesses, writeConfig } from './testing/harness';

const WORKSPACE = path.resolve(__dirname, '../../..');
const MAIN = ['-r', path.join(WORKSPACE, 'tools/register.cjs'), path.join(WORKSPACE, 'apps/balancer/src/main.ts')];

const { upstream, balancer, onCleanup } = specProcesses();

function config(peers: string[], extra = ''): string {
  return `admin_listen 127.0.0.1:0;\naccess_log off;\n${extra}\nupstream api { ${peers.map((p) => `server ${p};`).join(' ')} keepalive 16; }\nserver { listen 127.0.0.1:0; client_max_body_size 0; location / { proxy_pass http://api; } }\n`;
}

describe('command line', () => {
  it('-t checks a configuration like nginx -t: exit 0 when good, 1 with file:line when not', () => {
    const good = spawnSync(process.execPath, [...MAIN, '-t', '-c', path.join(WORKSPACE, 'apps/balancer/conf/tenk.conf')], {
      encoding: 'utf8',
    });
    expect(good.status).toBe(0);
    expect(good.stderr).toMatch(/syntax is ok/);
    expect(good.stderr).toMatch(/test is successful/);
    const badFile = writeConfig('upstream api {\n  server 127.0.0.1:3001 weight=zero;\n}\n');
    const bad = spawnSync(process.execPath, [...MAIN, '-t', '-c', badFile], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`${badFile}:2: "server" weight="zero" must be a whole number greater than 0`);
    expect(bad.stderr).toMatch(/test failed/);
  });

  it('-t accepts conf/examples/nginx-directives.conf (every nginx directive of issue 20)', () => {
    const example = spawnSync(
      process.execPath,
      [...MAIN, '-t', '-c', path.join(WORKSPACE, 'apps/balancer/conf/examples/nginx-directives.conf')],
      {
        encoding: 'utf8',
      },
    );
    expect(example.stderr).toMatch(/test is successful/);
    expect(example.status).toBe(0);
  });
});

describe('signals', () => {
  it('SIGHUP reloads under load without dropping a request, and a bad file keeps the running configuration', async () => {
    const [a, b] = [await upstream('a'), await upstream('b')];
    const file = writeConfig(config([a.address]));
    const lb = await balancer(file);
    const agent = new Agent({ connections: 16 });
    onCleanup(() => agent.close());
    const statuses = new Map<number, number>();
    const seen = new Set<string>();
    let running = true;
    const worker = async () => {
      while (running) {
        const response = await request(`http://127.0.0.1:${lb.port}/item`, { dispatcher: agent });
        seen.add(String(response.headers['x-upstream']));
        await response.body.dump();
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    const versions = [
      config([a.address, b.address]),
      config([b.address]),
      config([a.address, b.address], ''),
      `${config([a.address])}\nnot_a_directive;\n`,
      config([b.address, a.address]),
    ];
    let reloads = 0;
    for (let round = 0; round < 10; round++) {
      const text = versions[round % versions.length];
      writeFileSync(file, text);
      lb.child.kill('SIGHUP');
      const broken = text.includes('not_a_directive');
      await lb.waitForLine(
        (line) =>
          (broken
            ? line.msg === 'configuration reload failed: still running the previous configuration'
            : line.msg === 'configuration reloaded') && !(line as { seen?: boolean }).seen,
      );
      for (const line of lb.lines) (line as { seen?: boolean }).seen = true;
      if (!broken) reloads++;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    running = false;
    await load;
    expect([...statuses.keys()]).toEqual([200]);
    expect(statuses.get(200)).toBeGreaterThan(100);
    expect(seen).toEqual(new Set(['a', 'b']));
    const failure = lb.lines.find((line) => line.msg === 'configuration reload failed: still running the previous configuration');
    expect(String(failure?.error)).toMatch(/tenk\.conf:\d+: "not_a_directive" unknown directive/);
    const status = JSON.parse(await (await request(`http://127.0.0.1:${lb.adminPort}/status`, { dispatcher: agent })).body.text());
    expect(status.config.reloads).toBe(reloads);
    expect(status.config.reloadFailures).toBe(10 - reloads);
  });

  it('SIGTERM drains: in-flight requests finish, new connections are refused, the process exits 0', async () => {
    const a = await upstream('a');
    const lb = await balancer(writeConfig(config([a.address])));
    const slow = request(`http://127.0.0.1:${lb.port}/slow?ms=1500`).then(async (response) => ({
      status: response.statusCode,
      body: await response.body.text(),
    }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    lb.child.kill('SIGTERM');
    await lb.waitForLine((line) => String(line.msg).startsWith('draining'));
    // Refused, or reset if the connection raced the listener closing.
    await expect(request(`http://127.0.0.1:${lb.port}/`)).rejects.toThrow(/ECONNREFUSED|ECONNRESET/);
    const finished = await slow;
    expect(finished.status).toBe(200);
    expect(JSON.parse(finished.body)).toMatchObject({ slow: true });
    expect(await lb.exited).toBe(0);
    expect(lb.lines.find((line) => line.msg === 'drained: exiting')).toMatchObject({ forced: false });
  });
});

describe('streaming', () => {
  it('passes a 1 GiB upload with flat memory', async () => {
    const a = await upstream('a');
    const lb = await balancer(writeConfig(config([a.address])));
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${lb.child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    const before = rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
    onCleanup(() => clearInterval(sampler));
    const size = 1024 ** 3;
    const chunk = Buffer.alloc(1024 * 1024, 42);
    const expected = createHash('sha256');
    let produced = 0;
    const body = Readable.from(
      (function* () {
        while (produced < size) {
          expected.update(chunk);
          produced += chunk.length;
          yield chunk;
        }
      })(),
    );
    const response = await request(`http://127.0.0.1:${lb.port}/upload`, {
      method: 'PUT',
      body,
      headers: { 'content-length': String(size) },
    });
    const result = JSON.parse(await response.body.text());
    clearInterval(sampler);
    expect(response.statusCode).toBe(200);
    expect(result).toMatchObject({ bytes: size, sha256: expected.digest('hex') });
    // A buffered 1 GiB body would need >1 GiB; streaming keeps the balancer within a few dozen MiB.
    expect(peak - before).toBeLessThan(128 * 1024 * 1024);
  });
});
