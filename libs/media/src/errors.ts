const MEDIA_ERROR = Symbol.for('tenk.MediaError');

type MediaErrorCode = 'not-a-video' | 'unusable-video' | 'ffmpeg-failed' | 'video-not-found';

/** A media failure with a reason a user or operator can act on; `code` says which. */
export class MediaError extends Error {
  readonly [MEDIA_ERROR] = true;

  constructor(
    readonly code: MediaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MediaError';
  }
}

/** The upload is not a video at all (text, an image, audio only): 415. */
export class NotAVideoError extends MediaError {
  constructor(reason: string) {
    super('not-a-video', `not a video: ${reason}`);
    this.name = 'NotAVideoError';
  }
}

/** A video we will not process (too long, too large a picture): 422. */
export class UnusableVideoError extends MediaError {
  constructor(reason: string) {
    super('unusable-video', reason);
    this.name = 'UnusableVideoError';
  }
}

/** ffmpeg or ffprobe failed; the message carries the last line it wrote to stderr. */
export class FfmpegError extends MediaError {
  constructor(
    message: string,
    readonly stderrTail: string,
  ) {
    super('ffmpeg-failed', message);
    this.name = 'FfmpegError';
  }
}

export class VideoNotFoundError extends MediaError {
  constructor(readonly videoId: string) {
    super('video-not-found', `video ${videoId} does not exist (deleted before it was processed?)`);
    this.name = 'VideoNotFoundError';
  }
}

/**
 * A failure no retry can fix: the video is gone, or its file is not one we process (the
 * media-worker checks again what the api checked at upload: a row may not say the truth).
 */
export function isPermanentMediaError(error: unknown): error is MediaError {
  return isMediaError(error, 'video-not-found') || isMediaError(error, 'not-a-video') || isMediaError(error, 'unusable-video');
}

export function isMediaError(error: unknown, code?: MediaErrorCode): error is MediaError {
  if (typeof error !== 'object' || error === null || (error as Record<symbol, unknown>)[MEDIA_ERROR] !== true) return false;
  return code === undefined || (error as MediaError).code === code;
}
