import { startService } from '@tenk/observability';
import { AppModule } from './app.module';

void startService({
  service: 'reports',
  module: (config) => AppModule.forRoot(config),
  port: (config) => config.services.reportsPort,
});
