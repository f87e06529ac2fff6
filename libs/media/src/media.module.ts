import { DynamicModule, Module } from '@nestjs/common';
import { MediaHealth } from './media-health';
import { MEDIA_OPTIONS_TYPE, MediaConfigurableModule } from './media.module-definition';
import { VideoInspector } from './video-inspector';
import { VideoProcessor } from './video-processor';
import { VideoRepository } from './video-repository';

/**
 * Videos: the `videos` table, ffprobe inspection, and the processor that transcodes and stores
 * renditions. Needs DatabaseModule (with the Video entity), StorageModule and ConfigModule.
 */
@Module({})
export class MediaModule extends MediaConfigurableModule {
  static override forRoot(options: typeof MEDIA_OPTIONS_TYPE): DynamicModule {
    const base = super.forRoot(options);
    return {
      ...base,
      providers: [...(base.providers ?? []), VideoRepository, VideoInspector, VideoProcessor, MediaHealth],
      exports: [VideoRepository, VideoInspector, VideoProcessor],
    };
  }
}
