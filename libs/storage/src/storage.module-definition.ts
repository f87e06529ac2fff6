import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface StorageOptions {
  /**
   * Whether this process cannot work without storage (a worker writing renditions) or only
   * loses a feature (the api still serves the catalog): 503 vs degraded in /health/ready.
   */
  critical: boolean;
}

export const {
  ConfigurableModuleClass: StorageConfigurableModule,
  MODULE_OPTIONS_TOKEN: STORAGE_OPTIONS,
  OPTIONS_TYPE: STORAGE_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<StorageOptions>().setClassMethodName('forRoot').build();
