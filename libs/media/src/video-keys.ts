import { objectKey } from '@tenk/storage';

/**
 * Storage keys of a video's files, built only from its id (a UUID we generated) and fixed
 * names: nothing a user sent ever becomes part of a path.
 */
export const videoKeys = {
  prefix: (videoId: string) => objectKey('videos', videoId),
  source: (videoId: string) => objectKey('videos', videoId, 'source'),
  rendition: (videoId: string, name: string) => objectKey('videos', videoId, `${name}.mp4`),
  thumbnail: (videoId: string) => objectKey('videos', videoId, 'thumbnail.jpg'),
  hlsPrefix: (videoId: string) => objectKey('videos', videoId, 'hls'),
  hlsFile: (videoId: string, file: string) => objectKey('videos', videoId, 'hls', file),
};

/** File names a client may ask for under /videos/:id/files/ and /videos/:id/hls/. */
export const RENDITION_FILE = /^(\d{3,4}p)\.mp4$/;
export const HLS_FILE = /^(master\.m3u8|\d{3,4}p\.m3u8|\d{3,4}p_\d{5}\.ts)$/;
