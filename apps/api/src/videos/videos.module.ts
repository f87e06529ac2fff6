import { Module } from '@nestjs/common';
import { MediaModule } from '@tenk/media';
import { VideoUploads } from './video-uploads.service';
import { VideosController } from './videos.controller';

/** POST /videos and GET /videos/:id (+ its files), in front of libs/media and the `video` queue. */
@Module({
  imports: [MediaModule.forRoot({ critical: false })],
  controllers: [VideosController],
  providers: [VideoUploads],
})
export class VideosModule {}
