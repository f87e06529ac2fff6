import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { SwitchesService } from '@tenk/switches';
import { parsePrometheusText, Scrape } from './prometheus-text';
import { SnapshotBuilder, type Snapshot } from './snapshot';
import { getText, listProcesses, readBalancer, readHosts, readInfra, readPaymentFaults } from './sources';

const INTERVAL_MS = 1_000;

type Listener = (snapshot: Snapshot) => void;

/**
 * Reads the running shop once a second (the processes' /metrics, the balancer's /status,
 * payment-sim's faults, the stack's ports, the hosts when it runs on many) while someone watches the map, and hands each
 * snapshot to the watchers. Nobody watching: no scraping, so the map costs the shop nothing.
 */
@Injectable()
export class MapCollector implements OnModuleDestroy {
  readonly #builder = new SnapshotBuilder();
  readonly #listeners = new Set<Listener>();
  #timer: NodeJS.Timeout | undefined;
  #latest: Snapshot | undefined;
  #collecting: Promise<Snapshot> | undefined;

  constructor(
    @InjectConfig() private readonly config: TenkConfig,
    private readonly switches: SwitchesService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('map');
  }

  /** Starts sending snapshots to `listener` (at once, then every second); returns the stop. */
  watch(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#latest) listener(this.#latest);
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.#tick(), INTERVAL_MS);
      void this.#tick();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  /** One snapshot now (shared with a round already under way). */
  collect(): Promise<Snapshot> {
    this.#collecting ??= this.#read().finally(() => (this.#collecting = undefined));
    return this.#collecting;
  }

  onModuleDestroy(): void {
    clearInterval(this.#timer);
    this.#listeners.clear();
  }

  async #tick(): Promise<void> {
    try {
      const snapshot = await this.collect();
      for (const listener of this.#listeners) listener(snapshot);
    } catch (error) {
      this.logger.warn({ err: error }, 'map collection failed');
    }
  }

  async #read(): Promise<Snapshot> {
    const processes = await listProcesses(this.config);
    const scraped = processes.filter(
      (process) => process.name.startsWith('api-') || ['media-worker', 'mailer', 'reports'].includes(process.name),
    );
    const [metrics, balancer, payment, infra, hosts] = await Promise.all([
      Promise.all(scraped.map((process) => getText(`${process.url}/metrics`))),
      readBalancer(this.config),
      readPaymentFaults(this.config),
      readInfra(this.config),
      readHosts(this.config),
    ]);
    const snapshot = this.#builder.build({
      at: Date.now(),
      processes: processes.map((process) => {
        const index = scraped.indexOf(process);
        const text = index >= 0 ? metrics[index] : undefined;
        return { ...process, metrics: text ? new Scrape(parsePrometheusText(text)) : undefined };
      }),
      balancer,
      payment,
      infra,
      switches: this.switches.all(),
      hosts,
    });
    this.#latest = snapshot;
    return snapshot;
  }
}
