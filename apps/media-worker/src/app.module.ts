import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type TenkConfig } from '@tenk/config';
import { QUEUES } from '@tenk/contracts';
import { DatabaseModule } from '@tenk/database';
import { MediaModule, Video } from '@tenk/media';
import { MessagingModule } from '@tenk/messaging';
import { ObservabilityModule } from '@tenk/observability';
import { StorageModule } from '@tenk/storage';
import { TranscodeProcessor } from './transcode.processor';

/** Consumes the Bull `video` queue: transcodes uploads with ffmpeg. */
@Module({})
export class AppModule {
  static forRoot(config: TenkConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ObservabilityModule.forRoot({ service: 'media-worker' }),
        DatabaseModule.forRoot({ processName: 'media-worker', catalogEntities: [Video] }),
        StorageModule.forRoot({ critical: true }),
        MessagingModule.forRoot({ queues: [QUEUES.video], kafka: false, queueRedisCritical: true }),
        MediaModule.forRoot({ critical: true }),
      ],
      providers: [TranscodeProcessor],
    };
  }
}
