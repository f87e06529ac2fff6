import type { RecordMetadata } from 'kafkajs';

/** The topic-partitions sent to that no acknowledgement names (`topic[partition]`). */
export function unacknowledged(sent: Array<{ topic: string; partition: number }>, acknowledged: RecordMetadata[]): string[] {
  const acked = new Set(acknowledged.filter((entry) => entry.errorCode === 0).map((entry) => `${entry.topicName}[${entry.partition}]`));
  return [...new Set(sent.map((entry) => `${entry.topic}[${entry.partition}]`))].filter((key) => !acked.has(key));
}
