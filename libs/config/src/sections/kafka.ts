import { EnvReader } from '../env-reader';

export interface KafkaConfig {
  brokers: string[];
  /** The local broker's port (tools/infra starts it there). */
  port: number;
  /** Used by tools/infra only: the KRaft controller listener of the local broker. */
  controllerPort: number;
  clientId: string;
  /** Partitions of orders.events when tools/infra creates it. */
  ordersPartitions: number;
}

export function readKafka(env: EnvReader): KafkaConfig {
  const port = env.servicePort('kafka');
  return {
    brokers: env.hostPorts('TENK_KAFKA_BROKERS', [`127.0.0.1:${port}`]),
    port,
    controllerPort: env.servicePort('kafkaController'),
    clientId: env.string('TENK_KAFKA_CLIENT_ID', 'tenk'),
    ordersPartitions: env.int('TENK_KAFKA_ORDERS_PARTITIONS', 6, { min: 1, max: 256 }),
  };
}
