import { DynamicModule, Global, Inject, Module } from '@nestjs/common';
import { OBJECT_STORE } from './object-store';
import { StorageHealth } from './storage-health';
import { STORAGE_OPTIONS_TYPE, StorageConfigurableModule } from './storage.module-definition';
import { objectStoreProvider } from './storage.providers';

/** Provides the configured ObjectStore (inject it with @InjectObjectStore()) and its readiness check. */
@Global()
@Module({})
export class StorageModule extends StorageConfigurableModule {
  static override forRoot(options: typeof STORAGE_OPTIONS_TYPE): DynamicModule {
    const base = super.forRoot(options);
    return {
      ...base,
      global: true,
      providers: [...(base.providers ?? []), objectStoreProvider, StorageHealth],
      exports: [OBJECT_STORE],
    };
  }
}

/** Injects the process's ObjectStore. */
export const InjectObjectStore = (): ParameterDecorator => Inject(OBJECT_STORE);
