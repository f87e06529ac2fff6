export { MessagingModule } from './messaging.module';
export { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.module-definition';
export { KafkaClient } from './kafka-client';
export { kafkaClientConfig } from './kafka-client-config';
export { KafkaTransport, eventProducerClient, type KafkaServerRequest } from './kafka-transport';
export { KafkaEventServer, type KafkaEventServerOptions } from './kafka-event.server';
export { KafkaEventController } from './kafka-event-controller.decorator';
export { KafkaEventInterceptor, ConsumerStoppingError } from './kafka-event.interceptor';
export { KafkaEventExceptionFilter } from './kafka-event.filter';
export { KafkaEventMetrics, type KafkaMessageOutcome } from './kafka-event-metrics';
export { EventContractPipe } from './kafka-event.pipe';
export { commitAfter } from './kafka-offsets';
export { StartOffsets, type StartOffsetsOptions } from './start-offsets';
export { Queues } from './queues';
export { JobProducer, type EnqueueOptions, type TracedJobOptions } from './job-producer';
export {
  JobRunner,
  jobHandler,
  jobHandlers,
  everyJobOf,
  gaveUpReason,
  type JobHandler,
  type JobHandlers,
  type JobContext,
  type DeadJob,
  type DrainOutcome,
} from './job-runner';
export { QueueProcessor } from './queue-processor';
export { DEAD_LETTER_QUEUE, queueOptions, queuePrefix, type RegisteredQueueName } from './queue-registry';
export { PermanentJobError, isPermanentJobError, QueueUnavailableError, isQueueUnavailableError } from './errors';
export { unacknowledged } from './kafka-acks';
