import { commandExists, isRoot, run, runOrThrow } from '@tenk/infra';
import { BRIDGE, HOSTS, MACHINE_ADDRESS, MACHINE_LINK, SUBNET, SWITCH_NETNS, type Host } from './topology';

const PREFIX = SUBNET.split('/')[1];

/** Why this machine cannot build the hosts, or undefined when it can. */
export function missingForHosts(): string | undefined {
  if (!commandExists('ip')) return 'the `ip` command (Debian package iproute2) is missing: install it with `apt-get install iproute2`';
  if (!isRoot()) return 'building the hosts needs root (network namespaces, veth pairs and a bridge): run `sudo npm run hosts -- up`';
  return undefined;
}

/**
 * Whether network namespaces can be made here (root and `ip` are not always enough: a
 * container without CAP_SYS_ADMIN refuses): undefined when they can, else why not.
 */
export async function probeNamespaces(): Promise<string | undefined> {
  const missing = missingForHosts();
  if (missing) return missing;
  const probe = `tenk-probe-${process.pid}`;
  const made = await run('ip', ['netns', 'add', probe]);
  if (made.code !== 0) return `this machine refuses to create a network namespace (ip netns add: ${made.stderr.trim()})`;
  await run('ip', ['netns', 'del', probe]);
  return undefined;
}

async function ip(args: string[]): Promise<string> {
  return (await runOrThrow('ip', args)).stdout;
}

async function succeeds(args: string[]): Promise<boolean> {
  return (await run('ip', args)).code === 0;
}

async function namespaces(): Promise<Set<string>> {
  return new Set(
    (await ip(['netns', 'list']))
      .split('\n')
      .map((line) => line.split(' ')[0])
      .filter(Boolean),
  );
}

/**
 * The switch (a namespace holding the bridge), this machine's cable to it (its address on the
 * bridge, so the balancer reaches the app hosts), and one namespace per host cabled to the
 * bridge with a veth pair: loopback up, its address, no default route, so nothing leaves the
 * bridge's subnet. Idempotent.
 */
export async function buildNetwork(log: (host: string, line: string) => void): Promise<void> {
  const present = await namespaces();
  const sw = ['-n', SWITCH_NETNS];
  if (!present.has(SWITCH_NETNS)) {
    log(BRIDGE, `creating the switch: namespace ${SWITCH_NETNS} with the bridge ${BRIDGE} (${SUBNET})`);
    await ip(['netns', 'add', SWITCH_NETNS]);
  }
  if (!(await succeeds([...sw, 'link', 'show', BRIDGE]))) await ip([...sw, 'link', 'add', BRIDGE, 'type', 'bridge']);
  await ip([...sw, 'link', 'set', 'lo', 'up']);
  await ip([...sw, 'link', 'set', BRIDGE, 'up']);
  if (!(await succeeds(['link', 'show', MACHINE_LINK]))) {
    log(BRIDGE, `cabling this machine to it: ${MACHINE_LINK} ${MACHINE_ADDRESS}/${PREFIX}`);
    await ip(['link', 'add', MACHINE_LINK, 'type', 'veth', 'peer', 'name', 'machine', 'netns', SWITCH_NETNS]);
    await ip(['addr', 'add', `${MACHINE_ADDRESS}/${PREFIX}`, 'dev', MACHINE_LINK]);
    await ip([...sw, 'link', 'set', 'machine', 'master', BRIDGE]);
  }
  await ip([...sw, 'link', 'set', 'machine', 'up']);
  await ip(['link', 'set', MACHINE_LINK, 'up']);
  for (const host of HOSTS) {
    if (!present.has(host.netns)) {
      log(host.name, `creating namespace ${host.netns} (${host.address})`);
      await ip(['netns', 'add', host.netns]);
    }
    if (!(await succeeds([...sw, 'link', 'show', host.link]))) {
      await ip([...sw, 'link', 'add', host.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns]);
      await ip(['-n', host.netns, 'addr', 'add', `${host.address}/${PREFIX}`, 'dev', 'eth0']);
      await ip([...sw, 'link', 'set', host.link, 'master', BRIDGE]);
    }
    await ip(['-n', host.netns, 'link', 'set', 'lo', 'up']);
    await ip(['-n', host.netns, 'link', 'set', 'eth0', 'up']);
    await ip([...sw, 'link', 'set', host.link, 'up']);
  }
}

/** Removes every host's namespace and the switch (with every cable: run after the servers stopped). */
export async function removeNetwork(log: (host: string, line: string) => void): Promise<void> {
  const present = await namespaces();
  for (const host of HOSTS) {
    if (present.has(host.netns)) {
      log(host.name, `removing namespace ${host.netns}`);
      await ip(['netns', 'del', host.netns]);
    }
  }
  if (present.has(SWITCH_NETNS)) {
    log(BRIDGE, `removing the switch ${SWITCH_NETNS} (bridge ${BRIDGE}) and this machine's cable`);
    await ip(['netns', 'del', SWITCH_NETNS]);
  }
  // The kernel removes this machine's end of the cable with the switch's, but not always at
  // once: gone by the time `ip link del` runs is fine.
  if (await succeeds(['link', 'show', MACHINE_LINK])) {
    const removed = await run('ip', ['link', 'del', MACHINE_LINK]);
    if (removed.code !== 0 && (await succeeds(['link', 'show', MACHINE_LINK])))
      throw new Error(`ip link del ${MACHINE_LINK} exited with ${removed.code}: ${removed.stderr.trim()}`);
  }
}

/** `CUT`: both ways; `CUT in`: nothing reaches the host; `CUT out`: nothing leaves it. */
export type LinkState = 'up' | 'CUT' | 'CUT in' | 'CUT out' | 'absent';

/**
 * Which way a partition cuts: `both` (the cable's bridge end down), `in` (the host still sends,
 * but hears nothing: its peers' answers, acks and requests are dropped as they arrive) or `out`
 * (it hears everything and nothing it sends leaves). One-way cuts are iptables rules in the
 * host's own namespace, on its cable (eth0), so the other hosts and this machine are untouched.
 */
export type CutDirection = 'both' | 'in' | 'out';

export const CUT_DIRECTIONS: readonly CutDirection[] = ['both', 'in', 'out'];

/** The iptables rule (chain and match) that drops one direction of a host's traffic. */
const ONE_WAY_RULES: Record<'in' | 'out', string[]> = {
  in: ['INPUT', '-i', 'eth0', '-j', 'DROP'],
  out: ['OUTPUT', '-o', 'eth0', '-j', 'DROP'],
};

/** What one-way cuts need (Debian's iptables), for ensurePackages. */
export const ONE_WAY_PACKAGES = [{ debian: 'iptables', present: () => commandExists('iptables') }];

async function iptables(host: Pick<Host, 'netns'>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('ip', ['netns', 'exec', host.netns, 'iptables', '-w', ...args]);
}

/** The one-way cuts in force on a host (none where iptables is missing: then there can be none). */
export async function oneWayCuts(host: Pick<Host, 'netns'>): Promise<Array<'in' | 'out'>> {
  if (!commandExists('iptables')) return [];
  const cuts: Array<'in' | 'out'> = [];
  for (const direction of ['in', 'out'] as const) {
    const [chain, ...match] = ONE_WAY_RULES[direction];
    if ((await iptables(host, ['-C', chain, ...match])).code === 0) cuts.push(direction);
  }
  return cuts;
}

/** Whether a host's cable to the bridge carries traffic, and which way if only one. */
export async function linkState(host: Host): Promise<LinkState> {
  const result = await run('ip', ['-n', SWITCH_NETNS, '-o', 'link', 'show', host.link]);
  if (result.code !== 0) return 'absent';
  if (!/[<,]UP[,>]/.test(result.stdout)) return 'CUT';
  const cuts = await oneWayCuts(host);
  if (cuts.length === 2) return 'CUT';
  return cuts.length === 1 ? (`CUT ${cuts[0]}` as const) : 'up';
}

/**
 * Cuts a host off. Both ways (the default): its cable's bridge end goes down, so no frame
 * reaches it or leaves it (from the other hosts and from this machine). One way: an iptables
 * rule in its namespace drops what arrives (`in`) or what it sends (`out`). Connections are not
 * reset either way: peers see silence, as in a real partition, until their timeouts fire.
 */
export async function partition(host: Pick<Host, 'netns' | 'link'>, direction: CutDirection = 'both'): Promise<void> {
  if (direction === 'both') {
    await ip(['-n', SWITCH_NETNS, 'link', 'set', host.link, 'down']);
    return;
  }
  if (!commandExists('iptables'))
    throw new Error(
      'a one-way cut needs iptables (Debian package iptables): `npm run hosts -- up` installs it, or apt-get install iptables',
    );
  if ((await oneWayCuts(host)).includes(direction)) return;
  const [chain, ...match] = ONE_WAY_RULES[direction];
  const added = await iptables(host, ['-I', chain, '1', ...match]);
  if (added.code !== 0) throw new Error(`iptables in ${host.netns} refused the ${direction} cut: ${added.stderr.trim()}`);
}

/** Puts a partitioned host back: its cable up, and no one-way cut left. */
export async function heal(host: Pick<Host, 'netns' | 'link'>): Promise<void> {
  if (await succeeds(['-n', SWITCH_NETNS, 'link', 'show', host.link])) await ip(['-n', SWITCH_NETNS, 'link', 'set', host.link, 'up']);
  for (const direction of await oneWayCuts(host)) {
    const [chain, ...match] = ONE_WAY_RULES[direction];
    while ((await iptables(host, ['-D', chain, ...match])).code === 0) {
      // A rule added twice by hand is removed twice.
    }
  }
}

export async function networkExists(): Promise<boolean> {
  return (await namespaces()).has(SWITCH_NETNS);
}
