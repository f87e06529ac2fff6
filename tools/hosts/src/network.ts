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

export type LinkState = 'up' | 'CUT' | 'absent';

/** Whether a host's cable to the bridge carries traffic. */
export async function linkState(host: Host): Promise<LinkState> {
  const result = await run('ip', ['-n', SWITCH_NETNS, '-o', 'link', 'show', host.link]);
  if (result.code !== 0) return 'absent';
  return /[<,]UP[,>]/.test(result.stdout) ? 'up' : 'CUT';
}

/**
 * Cuts a host off the bridge, both ways: its cable's bridge end goes down, so no frame
 * reaches it or leaves it (from the other hosts and from this machine). Connections are not
 * reset: peers see silence, as in a real partition, until their timeouts fire.
 */
export async function partition(host: Host): Promise<void> {
  await ip(['-n', SWITCH_NETNS, 'link', 'set', host.link, 'down']);
}

/** Puts a partitioned host back on the bridge. */
export async function heal(host: Host): Promise<void> {
  await ip(['-n', SWITCH_NETNS, 'link', 'set', host.link, 'up']);
}

export async function networkExists(): Promise<boolean> {
  return (await namespaces()).has(SWITCH_NETNS);
}
