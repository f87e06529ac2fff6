export { TOPICS, type TopicName } from './topics';
export { QUEUES, type QueueName } from './queues';
export { parseOrderPlacedV1, type OrderPlacedV1, type OrderLineV1 } from './events/order-placed';
export { ContractError, isContractError } from './validation';
export { jobContract, type JobContract, type JobPayload } from './jobs/job-contract';
export { VIDEO_TRANSCODE_V1, type VideoTranscodeJobV1 } from './jobs/video-jobs';
export {
  WELCOME_MAIL_V1,
  ACCOUNT_EXISTS_MAIL_V1,
  ORDER_CONFIRMATION_MAIL_V1,
  MAIL_KEYS,
  type WelcomeMailJobV1,
  type AccountExistsMailJobV1,
  type OrderConfirmationMailJobV1,
} from './jobs/mail-jobs';
export { BUILD_REPORT_V1, EXPIRE_REPORTS_V1, type BuildReportJobV1, type ExpireReportsJobV1 } from './jobs/report-jobs';
export { REPORT_TYPES, REPORT_STATES, reportNeedsAdmin, type ReportType, type ReportState } from './reports/report-types';
