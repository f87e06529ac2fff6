import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { KafkaContext } from '@nestjs/microservices';
import { PinoLogger } from 'nestjs-pino';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { isContractError } from '@tenk/contracts';
import { extractTraceContext, inSpan, SpanKind, tracingEnabled, type Span } from '@tenk/observability';
import { KafkaEventMetrics } from './kafka-event-metrics';
import { KafkaEventServer } from './kafka-event.server';
import { commitAfter } from './kafka-offsets';

const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 10_000;
const HEARTBEAT_EVERY_MS = 500;

/** The member is leaving the group (shutdown): the message goes back uncommitted. */
export class ConsumerStoppingError extends Error {
  constructor(group: string) {
    super(`the consumer of group ${group} is stopping: the message stays uncommitted and is delivered again`);
    this.name = 'ConsumerStoppingError';
  }
}

/**
 * Around every `@EventPattern` handler of a KafkaEventServer (KafkaEventController applies it):
 * - success: the offset after the message is committed (`context.getConsumer().commitOffsets`),
 *   the handle time observed, the message counted `processed`;
 * - a failure other than a contract violation: the handler is run again, in place, with backoff
 *   up to 10 s, sending `context.getHeartbeat()` every half second while it waits, so the broker
 *   keeps the member in its group (no rebalance storm) while a dependency recovers, and the
 *   partition stays blocked (order kept). A heartbeat refused because the group rebalances, or
 *   the server stopping, ends the retries with the message uncommitted: whoever owns the
 *   partition next gets it again;
 * - a contract violation goes on to KafkaEventExceptionFilter (skip, count, commit);
 * - a message without a value (a tombstone) is skipped and counted, the handler not called.
 *
 * Nest's stock event path would instead pass the error to kafkajs, which retries the whole
 * batch a few times and then crashes and restarts the consumer: a rejoin per failure.
 */
@Injectable()
export class KafkaEventInterceptor implements NestInterceptor {
  constructor(
    private readonly metrics: KafkaEventMetrics,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('kafka-consumer');
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const kafka = context.switchToRpc().getContext<KafkaContext>();
    if (!tracingEnabled()) return from(this.#handle(kafka, next));
    // A CONSUMER span continuing the producer's trace (the outbox relay's `traceparent` header):
    // the handler's own spans and log lines join the order's trace.
    const message = kafka.getMessage();
    return from(
      inSpan(
        `${kafka.getTopic()} process`,
        {
          kind: SpanKind.CONSUMER,
          parent: extractTraceContext(message.headers as Record<string, unknown> | undefined),
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': kafka.getTopic(),
            'messaging.destination.partition.id': String(kafka.getPartition()),
            'messaging.kafka.offset': Number(message.offset),
            'messaging.consumer.group.name': KafkaEventServer.of(kafka.getConsumer()).group,
            'tenk.kafka.lag_ms': message.timestamp ? Math.max(0, Date.now() - Number(message.timestamp)) : undefined,
          },
        },
        (span) => this.#handle(kafka, next, span),
      ),
    );
  }

  async #handle(context: KafkaContext, next: CallHandler, span?: Span): Promise<unknown> {
    const server = KafkaEventServer.of(context.getConsumer());
    const group = server.group;
    const topic = context.getTopic();
    const message = context.getMessage();
    if (message.value === null) {
      this.metrics.count(group, topic, 'skipped');
      await commitAfter(context);
      return undefined;
    }
    let delay = RETRY_FIRST_MS;
    for (let attempt = 1; ; attempt += 1) {
      const started = process.hrtime.bigint();
      let result: unknown;
      try {
        // Every subscription to handle() runs the pipes and the handler again.
        result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      } catch (error) {
        if (isContractError(error)) throw error;
        this.metrics.count(group, topic, 'retried');
        span?.addEvent('retry', { attempt, retry_in_ms: delay, error: error instanceof Error ? error.message : String(error) });
        this.logger.warn(
          { err: error, group, topic, partition: context.getPartition(), offset: message.offset, attempt, retryInMs: delay },
          'handling a message failed; retrying it in place',
        );
        await this.#waitHeartbeating(context, server, delay);
        delay = Math.min(RETRY_MAX_MS, delay * 2);
        continue;
      }
      this.metrics.handleSeconds.observe({ group }, Number(process.hrtime.bigint() - started) / 1e9);
      this.metrics.count(group, topic, 'processed');
      span?.setAttribute('tenk.retry.count', attempt - 1);
      await commitAfter(context);
      return result;
    }
  }

  /** Waits `ms`, heartbeating; throws when the member is leaving or its group rebalances. */
  async #waitHeartbeating(context: KafkaContext, server: KafkaEventServer, ms: number): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      if (server.closing) throw new ConsumerStoppingError(server.group);
      await context.getHeartbeat()();
      const left = until - Date.now();
      if (left <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(HEARTBEAT_EVERY_MS, left)));
    }
  }
}
