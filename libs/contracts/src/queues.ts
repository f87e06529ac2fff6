/** Bull queues (on the queue Redis): slow work that leaves the request path. */
export const QUEUES = {
  /** Uploaded videos to transcode: apps/media-worker. */
  video: 'video',
  /** Mail to send: apps/mailer. */
  mail: 'mail',
  /** Report files to build: apps/reports. */
  report: 'report',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
