import { EnvReader } from '../env-reader';
import { readTls, type TlsSettings } from './tls';

export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

/** One type per mechanism (a union kafkajs accepts as its `sasl`). */
export type KafkaSasl = { [M in KafkaSaslMechanism]: { mechanism: M; username: string; password: string } }[KafkaSaslMechanism];

export interface KafkaConfig {
  brokers: string[];
  /** The local broker's port (tools/infra starts it there). */
  port: number;
  /** Used by tools/infra only: the KRaft controller listener of the local broker. */
  controllerPort: number;
  clientId: string;
  /** Partitions of orders.events when tools/infra creates it. */
  ordersPartitions: number;
  /** TLS to the brokers (TENK_KAFKA_TLS, TENK_KAFKA_TLS_CA); undefined: plaintext. */
  tls?: TlsSettings;
  /** SASL (TENK_KAFKA_SASL_MECHANISM, _USERNAME, _PASSWORD or _PASSWORD_FILE); undefined: none. */
  sasl?: KafkaSasl;
}

export function readKafka(env: EnvReader): KafkaConfig {
  const port = env.servicePort('kafka');
  return {
    brokers: env.hostPorts('TENK_KAFKA_BROKERS', [`127.0.0.1:${port}`]),
    port,
    controllerPort: env.servicePort('kafkaController'),
    clientId: env.string('TENK_KAFKA_CLIENT_ID', 'tenk'),
    ordersPartitions: env.int('TENK_KAFKA_ORDERS_PARTITIONS', 6, { min: 1, max: 256 }),
    ...readKafkaSecurity(env),
  };
}

function readKafkaSecurity(env: EnvReader): Pick<KafkaConfig, 'tls' | 'sasl'> {
  const tls = readTls(env, 'TENK_KAFKA_TLS');
  const username = env.has('TENK_KAFKA_SASL_USERNAME') ? env.string('TENK_KAFKA_SASL_USERNAME', '') : undefined;
  const password = env.secret('TENK_KAFKA_SASL_PASSWORD');
  if (!env.has('TENK_KAFKA_SASL_MECHANISM')) {
    if (username !== undefined || password !== undefined)
      env.problem(
        'TENK_KAFKA_SASL_MECHANISM',
        '(unset)',
        `needed with TENK_KAFKA_SASL_USERNAME/PASSWORD: one of ${KAFKA_SASL_MECHANISMS.join(', ')}`,
      );
    return tls ? { tls } : {};
  }
  const mechanism = env.oneOf('TENK_KAFKA_SASL_MECHANISM', KAFKA_SASL_MECHANISMS, 'scram-sha-512');
  if (username === undefined) env.problem('TENK_KAFKA_SASL_USERNAME', '(unset)', `needed with TENK_KAFKA_SASL_MECHANISM=${mechanism}`);
  if (password === undefined)
    env.problem(
      'TENK_KAFKA_SASL_PASSWORD',
      '(unset)',
      `needed with TENK_KAFKA_SASL_MECHANISM=${mechanism} (or TENK_KAFKA_SASL_PASSWORD_FILE)`,
    );
  // PLAIN sends the password itself to the broker: only inside TLS.
  if (mechanism === 'plain' && !tls)
    env.problem(
      'TENK_KAFKA_SASL_MECHANISM',
      mechanism,
      'plain sends the password in clear: set TENK_KAFKA_TLS=true too, or use scram-sha-256/512',
    );
  return { ...(tls ? { tls } : {}), sasl: { mechanism, username: username ?? '', password: password ?? '' } };
}

/** kafkajs' connection options from the config: brokers, and TLS and SASL only when set. */
export function kafkaConnection(kafka: KafkaConfig): { brokers: string[]; ssl?: true | { ca: string }; sasl?: KafkaSasl } {
  return {
    brokers: kafka.brokers,
    ...(kafka.tls ? { ssl: kafka.tls.ca === undefined ? (true as const) : { ca: kafka.tls.ca } } : {}),
    ...(kafka.sasl ? { sasl: kafka.sasl } : {}),
  };
}
