import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { ControlPlaneModule, type ControlPlaneOptions } from '@tenk/control-plane';
import { ObservabilityModule } from '@tenk/observability';
import { SwitchesModule } from '@tenk/switches';
import { ControlsService } from './controls.service';
import { MapCollector } from './map-collector';
import { MapController } from './map.controller';
import { TracesController } from './traces/traces.controller';

/**
 * The live architecture map of the running shop (a page, its event stream, its controls). A
 * control server: its controls take the run's token, and it forwards that token to the
 * launcher, the balancer's admin and payment-sim's admin.
 */
@Module({})
export class AppModule {
  static forRoot(config: TenkConfig, control: ControlPlaneOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'map' }),
        SwitchesModule,
        ControlPlaneModule.forRoot(control),
      ],
      controllers: [MapController, TracesController],
      providers: [MapCollector, ControlsService],
    };
  }
}
