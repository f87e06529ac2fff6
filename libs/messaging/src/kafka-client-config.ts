import { logLevel, type KafkaConfig } from 'kafkajs';
import type { PinoLogger } from 'nestjs-pino';
import { kafkaConnection, type TenkConfig } from '@tenk/config';
import { fixKafkajsIdleLoop } from './kafkajs-idle-fix';

/**
 * kafkajs client settings for every Kafka connection of a tenk process (the outbox's
 * producer, the consumers' servers): brokers and client id from the configuration (with TLS and
 * SASL when TENK_KAFKA_TLS / TENK_KAFKA_SASL_* set them), bounded
 * connect and request times, and kafkajs' own log lines as JSON through pino. It also stops
 * kafkajs 2.2.4's idle spin (see kafkajs-idle-fix.ts) before any connection exists.
 */
export function kafkaClientConfig(config: TenkConfig, logger: PinoLogger): KafkaConfig {
  if (fixKafkajsIdleLoop() === 'unknown-version')
    logger.warn(
      'kafkajs RequestQueue.scheduleCheckPendingRequests is not the version kafkajs-idle-fix.ts knows: left as it is; check whether an idle process still spins',
    );
  return {
    clientId: config.kafka.clientId,
    ...kafkaConnection(config.kafka),
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }) => {
        const { message, ...extra } = log;
        const line = { namespace, ...extra };
        if (level <= logLevel.ERROR) logger.error(line, message);
        else logger.warn(line, message);
      },
  };
}
