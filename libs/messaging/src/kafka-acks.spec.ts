import type { RecordMetadata } from 'kafkajs';
import { unacknowledged } from './kafka-acks';

const ack = (topicName: string, partition: number, errorCode = 0): RecordMetadata => ({ topicName, partition, errorCode });

describe('unacknowledged', () => {
  it('names each topic-partition sent to that no acknowledgement covers, once', () => {
    const sent = [
      { topic: 'orders.events', partition: 0 },
      { topic: 'orders.events', partition: 3 },
      { topic: 'orders.events', partition: 3 },
      { topic: 'orders.events', partition: 5 },
    ];
    // kafkajs 2.2 after a leader moved mid-send: resolved, partition 3 missing.
    expect(unacknowledged(sent, [ack('orders.events', 0), ack('orders.events', 5), ack('orders.events', 1)])).toEqual(['orders.events[3]']);
    expect(unacknowledged(sent, [ack('orders.events', 0), ack('orders.events', 3), ack('orders.events', 5, 6)])).toEqual([
      'orders.events[5]',
    ]);
    expect(unacknowledged(sent, [ack('orders.events', 0), ack('orders.events', 3), ack('orders.events', 5)])).toEqual([]);
  });
});
