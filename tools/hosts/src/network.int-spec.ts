import { spawn, type ChildProcess } from 'node:child_process';
import { ensurePackages, run, runOrThrow } from '@tenk/infra';
import { eventually } from '@tenk/testing';
import { heal, oneWayCuts, ONE_WAY_PACKAGES, partition, probeNamespaces } from './network';

/**
 * One-way cuts on real network namespaces: two namespaces of this test's own (never the hosts
 * stack's), cabled by a veth pair, each with a UDP listener that prints what reaches it. A
 * datagram each way after each cut shows which way the cut stops. Skipped, saying why, where
 * namespaces cannot be made (not root, no `ip`).
 */
const unavailable = probeNamespaces();

const id = process.pid % 10_000;
const A = { netns: `tenk-t${id}-a`, link: `tkt${id}a`, address: '10.203.0.1' };
const B = { netns: `tenk-t${id}-b`, link: `tkt${id}b`, address: '10.203.0.2' };
const PORT = 7_777;

const LISTENER = `
const socket = require('node:dgram').createSocket('udp4');
socket.on('message', (message) => process.stdout.write(message.toString() + '\\n'));
socket.bind(${PORT}, process.argv[1], () => process.stdout.write('ready\\n'));`;

interface Listener {
  process: ChildProcess;
  heard: string[];
}

function listen(host: typeof A): Promise<Listener> {
  const child = spawn('ip', ['netns', 'exec', host.netns, process.execPath, '-e', LISTENER, host.address], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listener: Listener = { process: child, heard: [] };
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    listener.heard.push(...lines);
  });
  return eventually(async () => listener.heard.includes('ready'), `the listener in ${host.netns} never started`, 10_000, 50).then(
    () => listener,
  );
}

/** Sends one datagram from `from` to `to` (from inside `from`'s namespace). */
async function send(from: typeof A, to: typeof A, text: string): Promise<void> {
  const script = `const s = require('node:dgram').createSocket('udp4'); s.send(process.argv[1], ${PORT}, process.argv[2], () => s.close());`;
  await runOrThrow('ip', ['netns', 'exec', from.netns, process.execPath, '-e', script, text, to.address]);
}

describe('one-way cuts (tools/hosts network)', () => {
  let a: Listener;
  let b: Listener;
  let skip: string | undefined;

  beforeAll(async () => {
    skip = await unavailable;
    if (skip) {
      process.stdout.write(`[hosts] SKIPPED one-way cuts: ${skip}\n`);
      return;
    }
    await ensurePackages(ONE_WAY_PACKAGES, (line) => process.stdout.write(`[hosts] ${line}\n`));
    for (const host of [A, B]) await run('ip', ['netns', 'del', host.netns]);
    for (const host of [A, B]) await runOrThrow('ip', ['netns', 'add', host.netns]);
    // A's eth0 and B's eth0, one cable (no switch: a one-way cut is a rule in the host's own namespace).
    await runOrThrow('ip', ['-n', A.netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', B.netns]);
    for (const host of [A, B]) {
      await runOrThrow('ip', ['-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
      await runOrThrow('ip', ['-n', host.netns, 'link', 'set', 'eth0', 'up']);
      await runOrThrow('ip', ['-n', host.netns, 'link', 'set', 'lo', 'up']);
    }
    [a, b] = await Promise.all([listen(A), listen(B)]);
  }, 120_000);

  afterAll(async () => {
    a?.process.kill();
    b?.process.kill();
    for (const host of [A, B]) await run('ip', ['netns', 'del', host.netns]);
  });

  /** Which way datagrams still go: one sent each way, then a moment for them to arrive. */
  async function reachable(label: string): Promise<{ aToB: boolean; bToA: boolean }> {
    await send(A, B, `${label} a->b`);
    await send(B, A, `${label} b->a`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { aToB: b.heard.includes(`${label} a->b`), bToA: a.heard.includes(`${label} b->a`) };
  }

  it('in: the host still sends but hears nothing; out: it hears but nothing leaves; heal undoes either', async () => {
    if (skip) return;
    expect(await reachable('before')).toEqual({ aToB: true, bToA: true });

    await partition(A, 'in');
    expect(await oneWayCuts(A)).toEqual(['in']);
    expect(await reachable('cut in')).toEqual({ aToB: true, bToA: false });

    await heal(A);
    expect(await oneWayCuts(A)).toEqual([]);
    expect(await reachable('healed')).toEqual({ aToB: true, bToA: true });

    await partition(A, 'out');
    // A second cut the same way adds nothing: one heal still undoes it.
    await partition(A, 'out');
    expect(await oneWayCuts(A)).toEqual(['out']);
    expect(await reachable('cut out')).toEqual({ aToB: false, bToA: true });

    await heal(A);
    expect(await reachable('healed again')).toEqual({ aToB: true, bToA: true });
  }, 60_000);
});
