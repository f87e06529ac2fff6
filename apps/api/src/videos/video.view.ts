import type { VideoView } from '@tenk/contracts/api';
import type { Video } from '@tenk/media';

export type { FileLink, RenditionView, VideoView } from '@tenk/contracts/api';

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
