export { loadConfig, type TenkConfig } from './tenk-config';
export { ConfigModule, InjectConfig, TENK_CONFIG } from './config.module';
export { ConfigError, isConfigError, type ConfigProblem } from './config-error';
export { EnvReader, parseDurationMs } from './env-reader';
export { DEFAULT_PORTS, PORT_VARIABLES, DEFAULT_SHARD_DATABASES, type ServiceName } from './defaults';
export { findWorkspaceRoot } from './workspace-root';
export { readPaths, type PathsConfig } from './sections/paths';
export { PG_SSL_MODES, type PostgresConfig, type PostgresEndpoint, type PgSsl, type PgSslMode } from './sections/postgres';
export { redisConnection, type RedisConfig, type RedisEndpoint } from './sections/redis';
export { kafkaConnection, KAFKA_SASL_MECHANISMS, type KafkaConfig, type KafkaSasl, type KafkaSaslMechanism } from './sections/kafka';
export type { TlsSettings } from './sections/tls';
export {
  STACK_SECRETS_FILE,
  STACK_SECRET_VARIABLES,
  stackSecretsPath,
  readStackSecrets,
  parseStackSecrets,
  formatStackSecrets,
  withStackSecrets,
  type StackSecretVariable,
} from './stack-secrets';
export type { MailConfig } from './sections/mail';
export type { ServicesConfig } from './sections/services';
export type { RuntimeConfig, LogLevel } from './sections/runtime';
export type { CacheConfig } from './sections/cache';
export type { AccountsConfig } from './sections/accounts';
export {
  RESILIENCE_POLICY_NAMES,
  type ResilienceConfig,
  type ResiliencePolicyName,
  type ResiliencePolicySettings,
  type BreakerSettings,
  type RetrySettings,
  type BulkheadSettings,
} from './sections/resilience';
export { X264_PRESETS, type MediaConfig, type VideoLimits, type UploadQuotas, type X264Preset } from './sections/media';
export { STORAGE_DRIVERS, type StorageConfig, type StorageDriver } from './sections/storage';
export type { MessagingConfig, JobQueueSettings, KafkaConsumerSettings } from './sections/messaging';
export type { ReportsConfig } from './sections/reports';
export type { SheddingConfig } from './sections/shedding';
export { parseByteSize, formatByteSize } from './sections/byte-size';
export type { DataRoutingConfig, ReplicaRoutingConfig, ShardingConfig } from './sections/data-routing';
export type { OrdersConfig, OutboxRelayConfig } from './sections/orders';
export { readTracing, type TracingConfig } from './sections/tracing';
