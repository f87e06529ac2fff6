import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { MessagingModule } from '@tenk/messaging';
import { ObservabilityModule } from '@tenk/observability';

/** Consumes the Bull `video` queue: transcodes uploads with ffmpeg. */
@Module({})
export class AppModule {
  static forRoot(config: TenkConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'media-worker' }),
        MessagingModule.forRoot({ queues: [QUEUES.video], kafka: false, queueRedisCritical: true }),
      ],
    };
  }
}
