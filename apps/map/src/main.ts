import { ValidationPipe } from '@nestjs/common';
import { controlTokenHint, resolveControlToken } from '@tenk/control-plane';
import { startService } from '@tenk/observability';
import { AppModule } from './app.module';

void startService({
  service: 'map',
  // The run's control token: TENK_CONTROL_TOKEN from the launcher, else .tenk/control-token.
  module: (config) => {
    const control = resolveControlToken({ stateDir: config.paths.state });
    return AppModule.forRoot(config, {
      token: control.token,
      tokenHint: `open the map from the link npm start printed (/?token=...); ${controlTokenHint(control)}`,
    });
  },
  port: (config) => config.services.mapPort,
  configure: (app) => {
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  },
});
