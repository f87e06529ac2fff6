import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ControlPolicy } from './control-request';

/** The run's token (null: refuse every state change) and where a caller finds it. */
export type ControlPlaneOptions = ControlPolicy;

export const {
  ConfigurableModuleClass: ControlPlaneConfigurableModule,
  MODULE_OPTIONS_TOKEN: CONTROL_PLANE_OPTIONS,
  OPTIONS_TYPE: CONTROL_PLANE_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ControlPlaneOptions>().setClassMethodName('forRoot').build();
