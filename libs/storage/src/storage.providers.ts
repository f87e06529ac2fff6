import type { Provider } from '@nestjs/common';
import { TENK_CONFIG, type TenkConfig } from '@tenk/config';
import { LocalObjectStore } from './local-object-store';
import { OBJECT_STORE, type ObjectStore } from './object-store';

/** Builds the configured store (TENK_STORAGE_DRIVER); only `local` exists so far. */
export function createObjectStore(config: TenkConfig): ObjectStore {
  switch (config.storage.driver) {
    case 'local':
      return new LocalObjectStore(config.paths.storage);
  }
}

export const objectStoreProvider: Provider = {
  provide: OBJECT_STORE,
  inject: [TENK_CONFIG],
  useFactory: (config: TenkConfig) => createObjectStore(config),
};
