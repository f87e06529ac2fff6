import { startService } from '@tenk/observability';
import { AppModule } from './app.module';
import { salesEventsServer } from './sales-events.controller';

void startService({
  service: 'reports',
  module: (config) => AppModule.forRoot(config),
  port: (config) => config.services.reportsPort,
  microservices: (app, config) => [salesEventsServer(app, config)],
});
