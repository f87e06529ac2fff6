import type { VideoLimits } from '@tenk/config';
import { isMediaError } from '../errors';
import { ALLOWED_DEMUXERS, containerOf, probeInput, refusedDemuxer, transcodeInput } from './containers';
import { describe as describeProbe } from './probe';

const limits: VideoLimits = { maxDurationSeconds: 600, maxPicture: { width: 4096, height: 2160 }, maxFrameRate: 60, maxStreams: 16 };
const videoStream = {
  codec_type: 'video',
  codec_name: 'h264',
  width: 1280,
  height: 720,
  avg_frame_rate: '25/1',
  r_frame_rate: '25/1',
  disposition: { attached_pic: 0 },
};
const audioStream = { codec_type: 'audio', codec_name: 'aac' };
const MP4 = 'mov,mp4,m4a,3gp,3g2,mj2';

function refusal(output: Parameters<typeof describeProbe>[0], within: VideoLimits = limits): { code: string; message: string } {
  try {
    describeProbe(output, within);
  } catch (error) {
    if (isMediaError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('ffprobe output checks', () => {
  it('describes a real video, with the container ffmpeg must read it as', () => {
    expect(
      describeProbe({ streams: [videoStream, audioStream], format: { format_name: MP4, duration: '5.000000', nb_streams: 2 } }, limits),
    ).toEqual({
      formatName: MP4,
      container: containerOf(MP4),
      videoCodec: 'h264',
      durationSeconds: 5,
      width: 1280,
      height: 720,
      frameRate: 25,
      hasAudio: true,
    });
  });

  it('swaps width and height for a video recorded sideways (rotation metadata)', () => {
    const probe = describeProbe(
      { streams: [{ ...videoStream, side_data_list: [{ rotation: -90 }] }], format: { format_name: MP4, duration: '3' } },
      limits,
    );
    expect([probe.width, probe.height]).toEqual([720, 1280]);
  });

  it('refuses any container not on the allow-list, playlists and images included (415)', () => {
    for (const format of ['hls', 'concat', 'image2', 'png_pipe', 'avi', 'mp3', 'tty']) {
      expect(refusal({ streams: [videoStream], format: { format_name: format, duration: '5' } })).toEqual({
        code: 'not-a-video',
        message: `not a video: ffprobe reads it as "${format}", which is not a video container we accept (MP4/MOV, WebM/Matroska or MPEG-TS); playlists, lists of other files and images are refused`,
      });
    }
  });

  it('refuses audio only, and files with no streams', () => {
    expect(refusal({ streams: [audioStream], format: { format_name: 'matroska,webm', duration: '100' } }).message).toBe(
      'not a video: it has sound but no video stream (format matroska,webm)',
    );
    expect(refusal({ streams: [], format: { format_name: MP4 } }).message).toBe(`not a video: it has no video stream (format ${MP4})`);
  });

  it('does not count cover art as video', () => {
    expect(
      refusal({
        streams: [audioStream, { ...videoStream, codec_name: 'mjpeg', disposition: { attached_pic: 1 } }],
        format: { format_name: MP4, duration: '100' },
      }).code,
    ).toBe('not-a-video');
  });

  it('refuses a video over the duration limit (422), naming the limit and its variable', () => {
    expect(refusal({ streams: [videoStream], format: { format_name: 'matroska,webm', duration: '7200' } })).toEqual({
      code: 'unusable-video',
      message: 'it is 2.0 h long; the limit is 10 min (TENK_VIDEO_MAX_DURATION)',
    });
  });

  it('refuses a picture over the resolution limit either way up, and accepts a portrait one within it', () => {
    expect(refusal({ streams: [{ ...videoStream, width: 7680, height: 4320 }], format: { format_name: MP4, duration: '5' } })).toEqual({
      code: 'unusable-video',
      message: 'its picture is 7680x4320; the limit is 4096x2160, either way up (TENK_VIDEO_MAX_RESOLUTION)',
    });
    expect(
      refusal({ streams: [{ ...videoStream, width: 2400, height: 2400 }], format: { format_name: MP4, duration: '5' } }).message,
    ).toMatch(/^its picture is 2400x2400; the limit is 4096x2160/);
    expect(
      describeProbe({ streams: [{ ...videoStream, width: 2160, height: 3840 }], format: { format_name: MP4, duration: '5' } }, limits),
    ).toMatchObject({ width: 2160, height: 3840 });
    expect(refusal({ streams: [{ ...videoStream, width: 8, height: 8 }], format: { format_name: MP4, duration: '5' } }).message).toBe(
      'its picture is 8x8; the minimum is 16x16',
    );
  });

  it('refuses a frame rate over the limit, allowing the wobble of a variable rate, and one it cannot read', () => {
    expect(refusal({ streams: [{ ...videoStream, avg_frame_rate: '240/1' }], format: { format_name: MP4, duration: '5' } })).toEqual({
      code: 'unusable-video',
      message: 'it has 240 frames per second; the limit is 60 (TENK_VIDEO_MAX_FPS)',
    });
    expect(
      describeProbe({ streams: [{ ...videoStream, avg_frame_rate: '18090/300' }], format: { format_name: MP4, duration: '5' } }, limits)
        .frameRate,
    ).toBeCloseTo(60.3);
    expect(
      describeProbe(
        {
          streams: [{ ...videoStream, avg_frame_rate: '0/0', r_frame_rate: '30000/1001' }],
          format: { format_name: 'mpegts', duration: '5' },
        },
        limits,
      ).frameRate,
    ).toBeCloseTo(29.97);
    expect(
      refusal({ streams: [{ ...videoStream, avg_frame_rate: '0/0', r_frame_rate: '0/0' }], format: { format_name: MP4, duration: '5' } })
        .message,
    ).toMatch(/frame rate cannot be read/);
  });

  it('refuses more streams than the limit', () => {
    const streams = [videoStream, ...Array.from({ length: 20 }, () => audioStream)];
    expect(refusal({ streams, format: { format_name: 'matroska,webm', duration: '5', nb_streams: 21 } })).toEqual({
      code: 'unusable-video',
      message: 'it has 21 streams; the limit is 16 (TENK_VIDEO_MAX_STREAMS)',
    });
  });

  it('refuses a file with no duration', () => {
    expect(refusal({ streams: [videoStream], format: { format_name: MP4 } }).message).toMatch(/no duration/);
  });
});

describe('container allow-list', () => {
  it('reads an upload only through the allowed demuxers, local files only, by a file: URL', () => {
    expect(ALLOWED_DEMUXERS).toBe('mov,matroska,mpegts');
    expect(probeInput('/srv/videos/x/source').slice(-6)).toEqual([
      '-protocol_whitelist',
      'file',
      '-format_whitelist',
      ALLOWED_DEMUXERS,
      '-i',
      'file:/srv/videos/x/source',
    ]);
    expect(transcodeInput(containerOf('matroska,webm')!, '/srv/a')).toEqual([
      '-f',
      'matroska',
      '-protocol_whitelist',
      'file',
      '-format_whitelist',
      ALLOWED_DEMUXERS,
      '-i',
      'file:/srv/a',
    ]);
    expect(transcodeInput(containerOf(MP4)!, '/srv/a').slice(0, 6)).toEqual(['-f', 'mov', '-enable_drefs', '0', '-use_absolute_path', '0']);
    expect(containerOf('hls')).toBeUndefined();
  });

  it('names the demuxer ffmpeg refused', () => {
    expect(refusedDemuxer("[hls @ 0x55d30c05a680] Format not on whitelist 'mov,matroska,mpegts'\nfile:/x: Invalid argument\n")).toBe('hls');
    expect(refusedDemuxer('file:/x: Invalid data found when processing input')).toBeUndefined();
  });
});
