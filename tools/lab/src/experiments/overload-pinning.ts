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
 * The overload lab's CPU split: the lab process (the load generator, all its threads) on the
 * first CPU, each lab shop's process trees and the stack's servers in INFRA on the others;
 * `restore()` puts the lab and the stack's servers back as they were, also on Ctrl-C.
 */
export class OverloadPinning {
  readonly #pinner = new CpuPinner();
  readonly #split: CpuSplit | null;
  readonly #why: string;
  readonly #infra: string[] = [];
  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.restore();
    process.kill(process.pid, signal);
  };

  private constructor(split: CpuSplit | null, why: string) {
    this.#split = split;
    this.#why = why;
  }

  /** Pins the lab process and the stack's servers now (unless `wanted` is false or there is one CPU). */
  static async start(config: TenkConfig, log: (message: string) => void, wanted: boolean): Promise<OverloadPinning> {
    if (!wanted) return new OverloadPinning(null, 'off (--pin off): the generator and the shop share every CPU');
    requireTaskset();
    const split = splitCpus(allowedCpus('self'));
    if (split === null) return new OverloadPinning(null, 'not pinned: this process may run on 1 CPU only');
    const pinning = new OverloadPinning(split, '');
    process.once('SIGINT', pinning.#onSignal);
    process.once('SIGTERM', pinning.#onSignal);
    pinning.#pinner.pin(process.pid, split.generator, false);
    for (const service of selectServices(INFRA)) {
      const { pid } = await service.status(config);
      if (pid === undefined) {
        pinning.#infra.push(`${service.name} (not running: not pinned)`);
        continue;
      }
      const processes = pinning.#pinner.pin(pid, split.shop);
      pinning.#infra.push(`${service.name} (pid ${pid}, ${processes} processes)`);
    }
    log(
      `pinned: the lab process (the load generator) on CPU ${formatCpuList(split.generator)}; ${pinning.#infra.join(', ')} on CPU ${formatCpuList(split.shop)}`,
    );
    return pinning;
  }

  get pinned(): boolean {
    return this.#split !== null;
  }

  /** Pins every process of a freshly started lab shop (and its children) to the shop's CPUs. */
  pinShop(shop: Shop, log: (message: string) => void): void {
    if (this.#split === null) return;
    const pinned = [...shop.processes.values()].map((process) => {
      if (process.pid === undefined)
        throw new Error(`lab shop process ${process.spec.name} is not running (no pid): cannot pin it; see its log in .tenk/logs/lab/`);
      return `${process.spec.name} ${this.#pinner.pin(process.pid, this.#split?.shop ?? [])}`;
    });
    log(`pinned the lab shop's process trees to CPU ${formatCpuList(this.#split.shop)} (processes per tree: ${pinned.join(', ')})`);
  }

  restore(): void {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    this.#pinner.restore();
  }

  /** One sentence for the notes, the log and the charts. */
  describe(): string {
    if (this.#split === null) return this.#why;
    return `generator (the lab process, all threads) on CPU ${formatCpuList(this.#split.generator)}; the shop (balancer, api instances, payment-sim, with their children) and ${INFRA.join(', ')} on CPU ${formatCpuList(this.#split.shop)}; Kafka, the SMTP sink and other processes not pinned; affinities restored after the run`;
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
      infra: this.#infra.join(', '),
      notPinned: 'Kafka, the SMTP sink, Jaeger and anything outside the experiment',
    };
  }
}
