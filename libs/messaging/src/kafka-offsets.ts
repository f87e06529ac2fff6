import type { KafkaContext } from '@nestjs/microservices';

/**
 * Commits the offset after the context's message: the group resumes after it. Called only once
 * the message is done with (handled, or skipped for breaking its contract); a crash before
 * this redelivers it, and handlers are idempotent by event id.
 */
export async function commitAfter(context: KafkaContext): Promise<void> {
  const next = (BigInt(context.getMessage().offset) + 1n).toString();
  await context.getConsumer().commitOffsets([{ topic: context.getTopic(), partition: context.getPartition(), offset: next }]);
}
