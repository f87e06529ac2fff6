import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface MediaOptions {
  /** Whether this process cannot work without ffmpeg (the media-worker) or only loses uploads (the api). */
  critical: boolean;
}

export const {
  ConfigurableModuleClass: MediaConfigurableModule,
  MODULE_OPTIONS_TOKEN: MEDIA_OPTIONS,
  OPTIONS_TYPE: MEDIA_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<MediaOptions>().setClassMethodName('forRoot').build();
