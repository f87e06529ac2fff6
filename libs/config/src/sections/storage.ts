import { EnvReader } from '../env-reader';

export const STORAGE_DRIVERS = ['local'] as const;
export type StorageDriver = (typeof STORAGE_DRIVERS)[number];

/**
 * Where uploaded videos, renditions and report files are kept (libs/storage). `local` is a
 * folder (paths.storage, TENK_STORAGE_DIR); an S3-compatible driver would plug in here.
 */
export interface StorageConfig {
  driver: StorageDriver;
}

export function readStorage(env: EnvReader): StorageConfig {
  return { driver: env.oneOf('TENK_STORAGE_DRIVER', STORAGE_DRIVERS, 'local') };
}
