import { DynamicModule, Module } from '@nestjs/common';
// From the constants file alone: the balancer imports this lib and must not load Nest's core.
import { APP_GUARD } from '@nestjs/core/constants';
import { ControlPlaneGuard } from './control-plane.guard';
import { CONTROL_PLANE_OPTIONS, CONTROL_PLANE_OPTIONS_TYPE, ControlPlaneConfigurableModule } from './control-plane.module-definition';

/**
 * Makes a Nest app a local control server: ControlPlaneGuard on every route, and the options
 * (the run's token) injectable as CONTROL_PLANE_OPTIONS, for the calls the app forwards to
 * other control servers. Import once, in the root module.
 */
@Module({})
export class ControlPlaneModule extends ControlPlaneConfigurableModule {
  static override forRoot(options: typeof CONTROL_PLANE_OPTIONS_TYPE): DynamicModule {
    const base = super.forRoot(options);
    return {
      ...base,
      global: true,
      providers: [...(base.providers ?? []), { provide: APP_GUARD, useClass: ControlPlaneGuard }],
      exports: [CONTROL_PLANE_OPTIONS],
    };
  }
}
