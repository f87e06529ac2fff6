import type { DataSource } from 'typeorm';

/**
 * A DataSource connected on first use instead of at boot, so a dead replica or shard cannot
 * stop a process from starting. A failed connect is forgotten, and the next call tries again.
 */
export class LazyDataSource {
  readonly #source: DataSource;
  #connecting: Promise<DataSource> | undefined;

  /** @param name what this database is, for errors and metrics (`catalog-replica`, `shard_2`). */
  constructor(
    readonly name: string,
    source: DataSource,
  ) {
    this.#source = source;
  }

  /** The underlying DataSource, connecting it if needed. */
  get(): Promise<DataSource> {
    if (this.#source.isInitialized) return Promise.resolve(this.#source);
    this.#connecting ??= this.#source.initialize().catch((error: unknown) => {
      this.#connecting = undefined;
      throw error;
    });
    return this.#connecting;
  }

  /** The DataSource itself, connected or not (for metadata, never for queries). */
  unwrap(): DataSource {
    return this.#source;
  }

  async close(): Promise<void> {
    const connecting = this.#connecting;
    this.#connecting = undefined;
    if (connecting) await connecting.catch(() => undefined);
    if (this.#source.isInitialized) await this.#source.destroy();
  }
}
