import { startService } from '@tenk/observability';
import { AppModule } from './app.module';

void startService({
  service: 'mailer',
  module: (config) => AppModule.forRoot(config),
  port: (config) => config.services.mailerPort,
});
