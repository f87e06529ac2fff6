import { ValidationPipe } from '@nestjs/common';
import { startService } from '@tenk/observability';
import { AppModule } from './app.module';

void startService({
  service: 'map',
  module: (config) => AppModule.forRoot(config),
  port: (config) => config.services.mapPort,
  configure: (app) => {
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  },
});
