import { startService } from '@tenk/observability';
import { AppModule } from './app.module';
import { orderEventsServer } from './order-events.controller';

void startService({
  service: 'mailer',
  module: (config) => AppModule.forRoot(config),
  port: (config) => config.services.mailerPort,
  microservices: (app, config) => [orderEventsServer(app, config)],
});
