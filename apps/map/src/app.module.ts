import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { ObservabilityModule } from '@tenk/observability';
import { SwitchesModule } from '@tenk/switches';
import { ControlsService } from './controls.service';
import { MapCollector } from './map-collector';
import { MapController } from './map.controller';

/** The live architecture map of the running shop (a page, its event stream, its controls). */
@Module({})
export class AppModule {
  static forRoot(config: TenkConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), ObservabilityModule.forRoot({ service: 'map' }), SwitchesModule],
      controllers: [MapController],
      providers: [MapCollector, ControlsService],
    };
  }
}
