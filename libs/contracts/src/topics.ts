/** Kafka topics. tools/infra creates them; producers and consumers name them from here. */
export const TOPICS = {
  /** Every order's lifecycle events, keyed by order id (so one order's events stay in order). */
  ordersEvents: 'orders.events',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
