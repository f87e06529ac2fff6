import { isMediaError } from '../errors';
import { describe as describeProbe } from './probe';

const limits = { maxDurationSeconds: 600 };
const videoStream = { codec_type: 'video', codec_name: 'h264', width: 1280, height: 720, disposition: { attached_pic: 0 } };
const audioStream = { codec_type: 'audio', codec_name: 'aac' };

function refusal(output: Parameters<typeof describeProbe>[0]): { code: string; message: string } {
  try {
    describeProbe(output, limits);
  } catch (error) {
    if (isMediaError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('ffprobe output checks', () => {
  it('describes a real video', () => {
    expect(describeProbe({ streams: [videoStream, audioStream], format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '5.000000' } }, limits)).toEqual({
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      videoCodec: 'h264',
      durationSeconds: 5,
      width: 1280,
      height: 720,
      hasAudio: true,
    });
  });

  it('swaps width and height for a video recorded sideways (rotation metadata)', () => {
    const probe = describeProbe({ streams: [{ ...videoStream, side_data_list: [{ rotation: -90 }] }], format: { format_name: 'mov,mp4', duration: '3' } }, limits);
    expect([probe.width, probe.height]).toEqual([720, 1280]);
  });

  it('refuses a still image with a clear reason (415)', () => {
    expect(refusal({ streams: [{ ...videoStream, codec_name: 'png' }], format: { format_name: 'png_pipe' } })).toEqual({ code: 'not-a-video', message: 'not a video: it is a still image (format png_pipe)' });
  });

  it('refuses audio only, and files with no streams', () => {
    expect(refusal({ streams: [audioStream], format: { format_name: 'mp3', duration: '100' } }).message).toBe('not a video: it has sound but no video stream (format mp3)');
    expect(refusal({ streams: [], format: { format_name: 'tty' } }).message).toBe('not a video: it has no video stream (format tty)');
  });

  it('does not count cover art as video', () => {
    expect(refusal({ streams: [audioStream, { ...videoStream, codec_name: 'mjpeg', disposition: { attached_pic: 1 } }], format: { format_name: 'mp3', duration: '100' } }).code).toBe('not-a-video');
  });

  it('refuses a video that is too long, or too large a picture (422)', () => {
    expect(refusal({ streams: [videoStream], format: { format_name: 'matroska,webm', duration: '7200' } })).toEqual({
      code: 'unusable-video',
      message: 'it is 2.0 h long; the limit is 10 min (TENK_VIDEO_MAX_DURATION)',
    });
    expect(refusal({ streams: [{ ...videoStream, width: 7680, height: 4320 }], format: { format_name: 'mov', duration: '5' } }).message).toBe('its picture is 7680x4320; the maximum is 4096x4096');
  });

  it('refuses a file with no duration', () => {
    expect(refusal({ streams: [videoStream], format: { format_name: 'h264' } }).message).toMatch(/no duration/);
  });
});
