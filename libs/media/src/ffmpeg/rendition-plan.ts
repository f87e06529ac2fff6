/** One MP4 rendition to produce. */
export interface RenditionSpec {
  /** `360p`, `720p`: the short side of the picture. */
  name: string;
  shortSide: number;
  /** x264 constant rate factor: lower is better and larger. */
  crf: number;
  audioBitrate: string;
}

/** The ladder, smallest first. Sources are never scaled up past their own size. */
export const RENDITION_LADDER: readonly RenditionSpec[] = [
  { name: '360p', shortSide: 360, crf: 26, audioBitrate: '96k' },
  { name: '720p', shortSide: 720, crf: 23, audioBitrate: '128k' },
];

/**
 * The renditions a source gets: every rung not larger than the source's short side, and
 * always the smallest (a 240p upload still plays everywhere as 360p).
 */
export function planRenditions(width: number, height: number): RenditionSpec[] {
  const shortSide = Math.min(width, height);
  const fitting = RENDITION_LADDER.filter((rung) => rung.shortSide <= shortSide);
  return fitting.length > 0 ? fitting : [RENDITION_LADDER[0]];
}

/** ffmpeg's scale filter for a rung: the short side fixed, the other even and in proportion. */
export function scaleFilter(rendition: RenditionSpec, width: number, height: number): string {
  return width >= height ? `scale=-2:${rendition.shortSide}` : `scale=${rendition.shortSide}:-2`;
}

/** The output size a rung gets, for the API (ffmpeg rounds the long side to an even number). */
export function outputSize(rendition: RenditionSpec, width: number, height: number): { width: number; height: number } {
  const even = (value: number) => Math.max(2, Math.round(value / 2) * 2);
  return width >= height
    ? { width: even((width * rendition.shortSide) / height), height: rendition.shortSide }
    : { width: rendition.shortSide, height: even((height * rendition.shortSide) / width) };
}
