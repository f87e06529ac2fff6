import { startService } from '@tenk/observability';
import { AppModule } from './app.module';
import { configureHttp } from './configure-http';

void startService({
  service: 'api',
  module: (config) => AppModule.forRoot(config),
  port: (config) => config.services.apiPort,
  configure: (app, config) => configureHttp(app, config),
});
