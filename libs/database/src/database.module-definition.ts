import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EntityList } from './data-source.factory';

export interface DatabaseOptions {
  /** The process name shown in pg_stat_activity (`api`, `reports`, ...). */
  processName: string;
  /** Entities mapped in the catalog database (primary and replica). */
  catalogEntities: EntityList;
  /** Entities mapped in every order shard. */
  shardEntities?: EntityList;
}

export const {
  ConfigurableModuleClass: DatabaseConfigurableModule,
  MODULE_OPTIONS_TOKEN: DATABASE_OPTIONS,
  OPTIONS_TYPE: DATABASE_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<DatabaseOptions>().setClassMethodName('forRoot').build();
