export { MessagingModule } from './messaging.module';
export { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.module-definition';
export { KafkaClient } from './kafka-client';
