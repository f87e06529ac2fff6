import { applyDecorators, Controller, UseFilters, UseInterceptors } from '@nestjs/common';
import { KafkaEventExceptionFilter } from './kafka-event.filter';
import { KafkaEventInterceptor } from './kafka-event.interceptor';

/**
 * A controller of `@EventPattern` handlers served by a KafkaEventServer: commit after success,
 * retry in place with heartbeats (KafkaEventInterceptor), contract violations skipped and
 * counted (KafkaEventExceptionFilter).
 */
export const KafkaEventController = (): ClassDecorator =>
  applyDecorators(Controller(), UseInterceptors(KafkaEventInterceptor), UseFilters(KafkaEventExceptionFilter));
