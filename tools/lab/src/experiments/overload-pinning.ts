import { getPriority, setPriority } from 'node:os';
import type { TenkConfig } from '@tenk/config';
import { selectServices } from '@tenk/infra';
import type { Shop } from '@tenk/shop';
import { allowedCpus, CpuPinner, formatCpuList, requireTaskset, splitCpus, type CpuSplit } from '../cpu-pinning';
import type { Row } from '../repeats';

/**
 * The stack's servers the api uses while the overload lab measures it: PostgreSQL (primary, and
 * the replica that serves catalog reads), the cache's Redis, and the queue's Redis (its
 * connections stay open). Kafka and the SMTP sink are left where they are: GET /products does
 * not use them, and a JVM's threads squeezed onto the shop's CPU would only add noise there.
 */
const INFRA = ['postgres-primary', 'postgres-replica', 'redis-cache', 'redis-queue'];

/**
 * The balancer's nice value while the shop shares its CPU with the api instances: the front door
 * runs first. Admission control refuses the excess only if the balancer gets to read it; on one
 * core shared fairly with two saturated apis it got a third of it, accepted late, and the
 * crowd's connections timed out in the kernel's queues before any 503 could be sent (the first
 * pinned run: 1,805 timeouts and no refusal among 2,000 clients). In production the balancer
 * has a machine (or cores) of its own; this is that, on two cores.
 */
export const FRONT_DOOR_NICE = -10;

/**
 * The overload lab's CPU split: the lab process (the load generator, all its threads) on the
 * first CPU, each lab shop's process trees and the stack's servers in INFRA on the others;
 * `restore()` puts the lab and the stack's servers back as they were, also on Ctrl-C.
 */
export class OverloadPinning {
  /** The lab process. */
  readonly #pinner = new CpuPinner();
  /** The lab shop's processes and the stack's servers, released after each run. */
  readonly #stackPinner = new CpuPinner();
  readonly #config: TenkConfig;
  readonly #split: CpuSplit | null;
  readonly #why: string;
  #infra = '';
  /** The balancer whose priority was raised, and the nice value it had. */
  #frontDoor: { pid: number; was: number } | undefined;
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.restore();
    process.kill(process.pid, signal);
  };

  private constructor(config: TenkConfig, split: CpuSplit | null, why: string) {
    this.#config = config;
    this.#split = split;
    this.#why = why;
  }

  /** Pins the lab process and the stack's servers now (unless `wanted` is false or there is one CPU). */
  static start(config: TenkConfig, wanted: boolean): OverloadPinning {
    if (!wanted) return new OverloadPinning(config, null, 'off (--pin off): the generator and the shop share every CPU');
    requireTaskset();
    const split = splitCpus(allowedCpus('self'));
    if (split === null) return new OverloadPinning(config, null, 'not pinned: this process may run on 1 CPU only');
    return new OverloadPinning(config, split, '');
  }

  get pinned(): boolean {
    return this.#split !== null;
  }

  /**
   * Once a lab shop is up and measuring starts: the lab process on the generator's CPU, every
   * process of the shop (and its children) and the stack's servers in INFRA on the shop's.
   * The stack's servers are shared (other shops use them too): `releaseStack()` after each run.
   */
  async pinRun(shop: Shop, log: (message: string) => void): Promise<void> {
    if (this.#split === null) return;
    const split = this.#split;
    process.once('SIGINT', this.#onSignal);
    process.once('SIGTERM', this.#onSignal);
    this.#pinner.pin(process.pid, split.generator, false);
    const pinned = [...shop.processes.values()].map((member) => {
      if (member.pid === undefined)
        throw new Error(`lab shop process ${member.spec.name} is not running (no pid): cannot pin it; see its log in .tenk/logs/lab/`);
      return `${member.spec.name} ${this.#stackPinner.pin(member.pid, split.shop)}`;
    });
    const infra: string[] = [];
    for (const service of selectServices(INFRA)) {
      const { pid } = await service.status(this.#config);
      infra.push(
        pid === undefined ? `${service.name} (not running: not pinned)` : `${service.name} ${this.#stackPinner.pin(pid, split.shop)}`,
      );
    }
    this.#infra = infra.join(', ');
    const balancer = shop.processes.get('balancer')?.pid;
    if (balancer !== undefined) {
      this.#frontDoor = { pid: balancer, was: getPriority(balancer) };
      setPriority(balancer, FRONT_DOOR_NICE);
    }
    log(
      `pinned: the lab process (the load generator) on CPU ${formatCpuList(split.generator)}; on CPU ${formatCpuList(split.shop)} (processes per tree) ${[...pinned, ...infra].join(', ')}${this.#frontDoor ? `; the balancer at nice ${FRONT_DOOR_NICE} (the front door first)` : ''}`,
    );
  }

  /** Puts the stack's servers (and the lab shop's, if still running) back as they were. */
  releaseStack(): void {
    this.#restoreFrontDoor();
    this.#stackPinner.restore();
  }

  #restoreFrontDoor(): void {
    const frontDoor = this.#frontDoor;
    this.#frontDoor = undefined;
    if (!frontDoor) return;
    try {
      setPriority(frontDoor.pid, frontDoor.was);
    } catch {
      // The lab shop has stopped: nothing left to put back.
    }
  }

  /** Puts everything pinned back: the stack's servers and the lab process. */
  restore(): void {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    this.#restoreFrontDoor();
    this.#stackPinner.restore();
    this.#pinner.restore();
  }

  /** One sentence for the notes, the log and the charts. */
  describe(): string {
    if (this.#split === null) return this.#why;
    return `generator (the lab process, all threads) on CPU ${formatCpuList(this.#split.generator)}; the shop (balancer, api instances, payment-sim, with their children) and ${INFRA.join(', ')} on CPU ${formatCpuList(this.#split.shop)}, the balancer first there (nice ${FRONT_DOOR_NICE}: the front door's own CPU); Kafka, the SMTP sink and other processes not pinned; the stack's servers are put back after each variant, the lab process after the run`;
  }

  /** A few words for chart titles: `generator on CPU 0, shop on CPU 1`, or `not pinned`. */
  short(): string {
    if (this.#split === null) return 'not pinned';
    return `generator on CPU ${formatCpuList(this.#split.generator)}, shop on CPU ${formatCpuList(this.#split.shop)}`;
  }

  /** What the JSON keeps. */
  record(): Row {
    if (this.#split === null) return { pinned: 'no', why: this.#why };
    return {
      pinned: 'yes',
      generatorCpus: formatCpuList(this.#split.generator),
      shopCpus: formatCpuList(this.#split.shop),
      generator: 'the lab process, all threads (taskset -a -p)',
      shop: 'balancer, api instances, payment-sim: each process tree (taskset -a -p on every process)',
      frontDoorNice: FRONT_DOOR_NICE,
      infra: `${this.#infra} (processes per tree when last pinned; pinned while each variant is measured, then put back)`,
      notPinned: 'Kafka, the SMTP sink, Jaeger and anything outside the experiment',
    };
  }
}
