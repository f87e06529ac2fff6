import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { HealthRegistry } from '@tenk/observability';
import { LocalObjectStore } from './local-object-store';
import { OBJECT_STORE, type ObjectStore } from './object-store';
import { STORAGE_OPTIONS, type StorageOptions } from './storage.module-definition';

/** Registers storage in /health/ready and clears writes a dead process left half-done. */
@Injectable()
export class StorageHealth implements OnModuleInit {
  constructor(
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(STORAGE_OPTIONS) private readonly options: StorageOptions,
    private readonly health: HealthRegistry,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('storage');
  }

  async onModuleInit(): Promise<void> {
    this.health.register({ name: 'storage', critical: this.options.critical, check: () => this.store.check() });
    if (this.store instanceof LocalObjectStore) {
      const removed = await this.store.sweepIncoming().catch((error: unknown) => {
        this.logger.warn({ err: error, root: (this.store as LocalObjectStore).root }, 'could not sweep unfinished writes');
        return 0;
      });
      if (removed > 0) this.logger.info({ removed }, 'removed unfinished writes left by a stopped process');
    }
  }
}
