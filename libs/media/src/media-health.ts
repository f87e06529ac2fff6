import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { HealthRegistry } from '@tenk/observability';
import { runTool } from './ffmpeg/run-tool';
import { MEDIA_OPTIONS, type MediaOptions } from './media.module-definition';

/** Registers ffmpeg and ffprobe in /health/ready: a worker without them cannot transcode. */
@Injectable()
export class MediaHealth implements OnModuleInit {
  #versions: Promise<string> | undefined;

  constructor(
    @InjectConfig() private readonly config: TenkConfig,
    @Inject(MEDIA_OPTIONS) private readonly options: MediaOptions,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health.register({
      name: 'ffmpeg',
      critical: this.options.critical,
      check: async () => ({ details: { version: await this.#version() } }),
    });
  }

  /** Runs both tools once (a binary does not appear or vanish while we run); retries after a failure. */
  #version(): Promise<string> {
    this.#versions ??= (async () => {
      const { ffmpegPath, ffprobePath } = this.config.media;
      const [ffmpeg] = await Promise.all([
        runTool(ffmpegPath, ['-hide_banner', '-version'], { timeoutMs: 5_000 }),
        runTool(ffprobePath, ['-hide_banner', '-version'], { timeoutMs: 5_000 }),
      ]);
      return /version (\S+)/.exec(ffmpeg)?.[1] ?? 'unknown';
    })().catch((error: unknown) => {
      this.#versions = undefined;
      throw error;
    });
    return this.#versions;
  }
}
