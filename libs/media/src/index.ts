export { MediaModule } from './media.module';
export { Video, VIDEO_STATES, type VideoState, type ProcessingMode, type StoredRendition } from './video.entity';
export { VideoRepository, type NewVideo, type VideoUsage, type OwnerLimits, type CreateOutcome } from './video-repository';
export { VideoInspector } from './video-inspector';
export { VideoProcessor, type ProcessOptions } from './video-processor';
export { videoKeys, RENDITION_FILE, HLS_FILE } from './video-keys';
export { probeVideo, type VideoProbe } from './ffmpeg/probe';
export { VIDEO_CONTAINERS, ALLOWED_CONTAINER_LABELS, containerOf, type VideoContainer } from './ffmpeg/containers';
export { transcode, type TranscodeResult, type TranscodeSettings, type TranscodeSource } from './ffmpeg/transcoder';
export { planRenditions, RENDITION_LADDER, type RenditionSpec } from './ffmpeg/rendition-plan';
export {
  MediaError,
  NotAVideoError,
  UnusableVideoError,
  FfmpegError,
  VideoNotFoundError,
  isMediaError,
  isPermanentMediaError,
} from './errors';
export { makeTestVideo, type TestVideoOptions } from './ffmpeg/test-video';
export { hostileUploads } from './testing/hostile-uploads';
