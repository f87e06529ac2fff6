import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import type { KafkaContext } from '@nestjs/microservices';
import { PinoLogger } from 'nestjs-pino';
import { from, throwError, type Observable } from 'rxjs';
import { isContractError } from '@tenk/contracts';
import { KafkaEventMetrics } from './kafka-event-metrics';
import { KafkaEventServer } from './kafka-event.server';
import { commitAfter } from './kafka-offsets';

/**
 * What a KafkaEventServer handler's error becomes (KafkaEventController applies it):
 * - a contract violation (not JSON, a missing field: ContractError from the `@Payload()` pipe
 *   or the handler) is logged, counted `invalid`, committed and skipped: no retry can fix it;
 * - anything else reaching here was given up by KafkaEventInterceptor (the member is stopping
 *   or lost the partition): it is passed on to kafkajs uncommitted, and the message is
 *   delivered again to whoever owns the partition next.
 */
@Catch()
export class KafkaEventExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(
    private readonly metrics: KafkaEventMetrics,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('kafka-consumer');
  }

  catch(exception: unknown, host: ArgumentsHost): Observable<unknown> {
    if (host.getType() !== 'rpc' || !isContractError(exception)) return throwError(() => exception);
    return from(this.#skip(host.switchToRpc().getContext<KafkaContext>(), exception.message));
  }

  async #skip(context: KafkaContext, problem: string): Promise<undefined> {
    const group = KafkaEventServer.of(context.getConsumer()).group;
    const message = context.getMessage();
    this.metrics.count(group, context.getTopic(), 'invalid');
    this.logger.error(
      {
        group,
        topic: context.getTopic(),
        partition: context.getPartition(),
        offset: message.offset,
        key: message.key?.toString(),
        problem,
      },
      'invalid message skipped (it breaks its contract; fix the producer)',
    );
    await commitAfter(context);
    return undefined;
  }
}
