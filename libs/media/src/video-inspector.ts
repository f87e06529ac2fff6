import { Injectable } from '@nestjs/common';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { probeVideo, type VideoProbe } from './ffmpeg/probe';

/** Checks that a file really is a video we can process (ffprobe, allowed containers only), within the configured limits. */
@Injectable()
export class VideoInspector {
  constructor(@InjectConfig() private readonly config: TenkConfig) {}

  /** Throws NotAVideoError (415) or UnusableVideoError (422) naming the reason. */
  inspect(file: string): Promise<VideoProbe> {
    return probeVideo(this.config.media.ffprobePath, file, this.config.media.limits);
  }
}
