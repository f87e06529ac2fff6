import { QUEUES } from '../queues';
import { expectObject, expectString } from '../validation';
import { jobContract } from './job-contract';

/**
 * Transcode an uploaded video (apps/media-worker). Only the id travels: the video's row in
 * the catalog database holds its state and the storage key of its source, so a retried job
 * always works from the current truth. Job id: the video id (one job per video).
 */
export interface VideoTranscodeJobV1 {
  videoId: string;
}

export const VIDEO_TRANSCODE_V1 = jobContract<VideoTranscodeJobV1>(QUEUES.video, 'transcode', 1, (input) => {
  const job = expectObject(input, 'VideoTranscodeJobV1');
  return { videoId: expectString(job['videoId'], 'VideoTranscodeJobV1.videoId') };
});
