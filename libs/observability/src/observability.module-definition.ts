import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

export interface ObservabilityOptions {
  /** The service name on every log line and metric, e.g. `api`, `mailer`. */
  service: string;
  /**
   * Who may read /health/ready's dependency details (names, hosts, error messages) besides a
   * caller on this machine at the instance's own port; everyone else reads `up` or `down`.
   * Runs after the app's guards, so it can look at the signed-in user (the api: admins).
   */
  showReadinessDetailsTo?: (req: FastifyRequest) => boolean;
}

export const {
  ConfigurableModuleClass: ObservabilityConfigurableModule,
  MODULE_OPTIONS_TOKEN: OBSERVABILITY_OPTIONS,
  OPTIONS_TYPE: OBSERVABILITY_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ObservabilityOptions>().setClassMethodName('forRoot').build();
