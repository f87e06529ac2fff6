/**
 * Uploads that are not videos but that ffmpeg, left to guess, would read as media made of
 * other files on the server (issue 12): for tests that check they are refused and nothing of
 * the files they name is read. Each names `target`, a file the attacker wants to read.
 */
export const hostileUploads = {
  /** An HLS playlist (ffprobe detects `hls`): 78 bytes in the issue, for `/some/local/file.ts`. */
  hlsPlaylist: (target: string) => Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2,\n${target}\n#EXT-X-ENDLIST`),
  /** A concat demuxer list (ffprobe detects `concat`). */
  concatList: (target: string) => Buffer.from(`ffconcat version 1.0\nfile '${target.replaceAll("'", "'\\''")}'\n`),
};
