import { Module } from '@nestjs/common';
import { MediaModule } from '@tenk/media';
import { RateLimitModule } from '../common/rate-limit/rate-limit.module';
import { UploadLimits } from './upload-limits';
import { VideoUploads } from './video-uploads.service';
import { VideosController } from './videos.controller';

/** POST /videos (with its limits), GET /videos/:id (+ its files), DELETE /videos/:id, in front of libs/media and the `video` queue. */
@Module({
  imports: [MediaModule.forRoot({ critical: false }), RateLimitModule],
  controllers: [VideosController],
  providers: [VideoUploads, UploadLimits],
})
export class VideosModule {}
