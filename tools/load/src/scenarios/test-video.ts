import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';

/** What an uploader sends: the request body and its content type. */
export interface TestUpload {
  body: Buffer;
  contentType: string;
  /** The video file itself, for the report. */
  videoBytes: number;
}

export type UploadEncoding = 'multipart' | 'raw';

const SECONDS = 2;
const FILE_NAME = `load-test-${SECONDS}s-320x240.mp4`;

/**
 * A real, small H.264 video (ffmpeg's test pattern, 2 s at 320x240, about 30 KB), made once
 * with the machine's ffmpeg and cached. Uploaders send it as a browser form would
 * (multipart/form-data, field `file`) or as the raw body (Content-Type: video/mp4).
 */
export function testUpload(cacheDir: string, encoding: UploadEncoding, ffmpeg = process.env['TENK_FFMPEG_PATH'] ?? 'ffmpeg'): TestUpload {
  const file = path.join(cacheDir, FILE_NAME);
  if (!existsSync(file)) {
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${file}.partial.mp4`;
    const result = spawnSync(
      ffmpeg,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc=duration=${SECONDS}:size=320x240:rate=15`,
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        '-preset',
        'veryfast',
        partial,
      ],
      { encoding: 'utf8' },
    );
    if (result.error || result.status !== 0) {
      throw new Error(
        `upload needs a test video, and ${ffmpeg} could not make one (${result.error?.message ?? result.stderr.trim()}); install ffmpeg (apt-get install ffmpeg) or set TENK_FFMPEG_PATH`,
      );
    }
    renameSync(partial, file);
  }
  const video = readFileSync(file);
  if (encoding === 'raw') return { body: video, contentType: 'video/mp4', videoBytes: video.length };
  return { ...multipart(video, 'file', 'load-test.mp4', 'video/mp4'), videoBytes: video.length };
}

/** A multipart/form-data body with one file field, built once. */
export function multipart(content: Buffer, field: string, fileName: string, type: string): { body: Buffer; contentType: string } {
  const boundary = `----tenk-load-${content.length.toString(16)}-boundary`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: ${type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}
