import type { Video, VideoState } from '@tenk/media';

export interface FileLink {
  url: string;
}

export interface RenditionView extends FileLink {
  name: string;
  width: number;
  height: number;
  bytes: number;
  contentType: 'video/mp4';
}

/** GET /videos/:id: where a video stands, and where its files are once it is ready. */
export interface VideoView {
  id: string;
  url: string;
  state: VideoState;
  /** 0-100; 100 once ready. */
  progress: number;
  /** Processing runs so far (retries included). */
  attempts: number;
  /** Why the last run failed (while it is retried) or why the video failed for good. */
  error: string | null;
  processingMode: Video['processingMode'];
  originalName: string | null;
  durationSeconds: number;
  width: number;
  height: number;
  sizeBytes: number;
  renditions: RenditionView[];
  /** An HLS master playlist over the same renditions (adaptive streaming). */
  hls: FileLink | null;
  thumbnail: FileLink | null;
  createdAt: string;
  readyAt: string | null;
}

export function videoUrl(id: string): string {
  return `/videos/${id}`;
}

/** Links are relative to the shop's origin: the api is served at the root, behind the balancer. */
export function toVideoView(video: Video): VideoView {
  const base = videoUrl(video.id);
  const ready = video.state === 'ready';
  return {
    id: video.id,
    url: base,
    state: video.state,
    progress: video.progress,
    attempts: video.attempts,
    error: video.error,
    processingMode: video.processingMode,
    originalName: video.originalName,
    durationSeconds: video.durationMs / 1000,
    width: video.width,
    height: video.height,
    sizeBytes: video.sourceBytes,
    renditions: ready
      ? video.renditions.map((rendition) => ({
          name: rendition.name,
          width: rendition.width,
          height: rendition.height,
          bytes: rendition.bytes,
          contentType: 'video/mp4' as const,
          url: `${base}/files/${rendition.name}.mp4`,
        }))
      : [],
    hls: ready && video.hlsKey ? { url: `${base}/hls/master.m3u8` } : null,
    thumbnail: ready && video.thumbnailKey ? { url: `${base}/files/thumbnail.jpg` } : null,
    createdAt: video.createdAt.toISOString(),
    readyAt: video.readyAt?.toISOString() ?? null,
  };
}
