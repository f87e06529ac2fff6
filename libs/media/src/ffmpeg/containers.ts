/**
 * The containers an upload may be, and how ffmpeg and ffprobe are told to read one and nothing
 * else.
 *
 * Left to itself, ffmpeg guesses the format from the bytes, and some formats are indirections:
 * an HLS playlist (`#EXTM3U`) or a concat list (`ffconcat version 1.0`) names other files, and
 * ffmpeg opens them, so a 78-byte "video" could make the worker transcode any media file on
 * the host into its uploader's rendition. So every read names its demuxer from this short list
 * of real video containers (`-f`), allows only those demuxers (`-format_whitelist`, which
 * ffmpeg also applies to anything a demuxer would open), and only the local `file` protocol
 * (`-protocol_whitelist`). None of the demuxers below opens a second file: MP4/MOV's data
 * references (`dref` atoms pointing at other files) are off by default, and switched off
 * explicitly too.
 *
 * Left out on purpose: hls, dash, concat, image2 and every other playlist or pattern demuxer
 * (they read other files); AVI (its demuxer has opened embedded content as another format
 * before: GAB2 subtitles, the root of a known local-file-read exploit); raw streams, images,
 * audio-only formats.
 */
export interface VideoContainer {
  /** What users are told: `MP4/MOV`. */
  label: string;
  /** ffmpeg's demuxer name, for `-f` and `-format_whitelist`. */
  demuxer: string;
  /** ffprobe's `format_name` for files of this demuxer. */
  formatName: string;
  /** Demuxer options that keep it to the one file. */
  options: readonly string[];
}

/** Also what the renditions are: the HLS remux reads them back through it. */
export const MP4_CONTAINER: VideoContainer = {
  label: 'MP4/MOV',
  demuxer: 'mov',
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  options: ['-enable_drefs', '0', '-use_absolute_path', '0'],
};

export const VIDEO_CONTAINERS: readonly VideoContainer[] = [
  MP4_CONTAINER,
  { label: 'WebM/Matroska', demuxer: 'matroska', formatName: 'matroska,webm', options: [] },
  // What camcorders (AVCHD .mts/.m2ts), broadcast captures and screen recorders write: packets, no references.
  { label: 'MPEG-TS', demuxer: 'mpegts', formatName: 'mpegts', options: [] },
];

/** For `-format_whitelist`: ffmpeg matches any name of a demuxer's comma list against it. */
export const ALLOWED_DEMUXERS = VIDEO_CONTAINERS.map((container) => container.demuxer).join(',');

/** `MP4/MOV, WebM/Matroska or MPEG-TS`: for messages. */
export const ALLOWED_CONTAINER_LABELS = `${VIDEO_CONTAINERS.slice(0, -1)
  .map((container) => container.label)
  .join(', ')} or ${VIDEO_CONTAINERS.at(-1)?.label}`;

/** The container ffprobe named (its `format_name`), if it is one we accept. */
export function containerOf(formatName: string): VideoContainer | undefined {
  return VIDEO_CONTAINERS.find((container) => container.formatName === formatName);
}

/** Options common to every read of an upload: local files only, allowed demuxers only. */
const ONLY_ALLOWED = ['-protocol_whitelist', 'file', '-format_whitelist', ALLOWED_DEMUXERS];

/**
 * ffprobe's input options, for a file whose container is not known yet: ffprobe still guesses,
 * but refuses ("Format not on whitelist") before a demuxer outside the list reads anything.
 * The file is named with `file:`, so no path is ever read as another protocol's URL.
 */
export function probeInput(file: string): string[] {
  // ffprobe ignores a demuxer's options when another demuxer reads the file (ffmpeg refuses them).
  const options = VIDEO_CONTAINERS.flatMap((container) => container.options);
  return [...options, ...ONLY_ALLOWED, '-i', `file:${file}`];
}

/** ffmpeg's input options for a file known to be `container`: no guessing at all. */
export function transcodeInput(container: VideoContainer, file: string): string[] {
  return ['-f', container.demuxer, ...container.options, ...ONLY_ALLOWED, '-i', `file:${file}`];
}

/** `[hls @ 0x55d3...] Format not on whitelist '...'` -> `hls`. */
export function refusedDemuxer(stderr: string): string | undefined {
  return /\[([\w,-]+) @ 0x[0-9a-f]+\] Format not on whitelist/.exec(stderr)?.[1];
}
