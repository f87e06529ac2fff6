import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface ObservabilityOptions {
  /** The service name on every log line and metric, e.g. `api`, `mailer`. */
  service: string;
}

export const {
  ConfigurableModuleClass: ObservabilityConfigurableModule,
  MODULE_OPTIONS_TOKEN: OBSERVABILITY_OPTIONS,
  OPTIONS_TYPE: OBSERVABILITY_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ObservabilityOptions>().setClassMethodName('forRoot').build();
