import { PORT_VARIABLES, type ServiceName } from './defaults';
import { EnvReader } from './env-reader';
import { PathsConfig, readPaths } from './sections/paths';
import { PostgresConfig, readPostgres } from './sections/postgres';
import { RedisConfig, readRedis } from './sections/redis';
import { KafkaConfig, readKafka } from './sections/kafka';
import { MailConfig, readMail } from './sections/mail';
import { ServicesConfig, readServices } from './sections/services';
import { RuntimeConfig, readRuntime } from './sections/runtime';
import { CacheConfig, readCache } from './sections/cache';
import { DataRoutingConfig, readDataRouting } from './sections/data-routing';
import { OrdersConfig, readOrders } from './sections/orders';
import { AccountsConfig, readAccounts } from './sections/accounts';
import { ResilienceConfig, readResilience } from './sections/resilience';
import { MediaConfig, readMedia } from './sections/media';
import { StorageConfig, readStorage } from './sections/storage';
import { MessagingConfig, readMessaging } from './sections/messaging';
import { ReportsConfig, readReports } from './sections/reports';
import { TracingConfig, readTracing } from './sections/tracing';
import { withStackSecrets } from './stack-secrets';
import { SheddingConfig, readShedding } from './sections/shedding';

export interface TenkConfig {
  runtime: RuntimeConfig;
  paths: PathsConfig;
  postgres: PostgresConfig;
  redis: RedisConfig;
  kafka: KafkaConfig;
  mail: MailConfig;
  services: ServicesConfig;
  accounts: AccountsConfig;
  resilience: ResilienceConfig;
  media: MediaConfig;
  storage: StorageConfig;
  messaging: MessagingConfig;
  reports: ReportsConfig;
  dataRouting: DataRoutingConfig;
  orders: OrdersConfig;
  cache: CacheConfig;
  tracing: TracingConfig;
  shedding: SheddingConfig;
}

/**
 * Reads and validates the whole configuration from the environment. Throws a ConfigError
 * naming every bad variable; call it first thing in every main so a typo fails the start.
 */
export function loadConfig(given: Record<string, string | undefined> = process.env): TenkConfig {
  // The local stack's generated passwords (.tenk/secrets.env) fill in what the environment leaves unset.
  const env = withStackSecrets(given, readPaths(new EnvReader(given)).state);
  const reader = new EnvReader(env);
  const postgres = readPostgres(reader);
  const config: TenkConfig = {
    runtime: readRuntime(reader),
    paths: readPaths(reader),
    postgres,
    redis: readRedis(reader),
    kafka: readKafka(reader),
    mail: readMail(reader),
    services: readServices(reader),
    accounts: readAccounts(reader),
    resilience: readResilience(reader),
    media: readMedia(reader),
    storage: readStorage(reader),
    messaging: readMessaging(reader),
    reports: readReports(reader),
    dataRouting: readDataRouting(reader, postgres.shardDatabases),
    orders: readOrders(reader),
    cache: readCache(reader),
    tracing: readTracing(reader),
    shedding: readShedding(reader),
  };
  checkDistinctPorts(config, reader);
  reader.throwIfInvalid();
  return config;
}

/** Two services on one host and port is a typo; the same port on two hosts is fine (containers). */
function checkDistinctPorts(config: TenkConfig, reader: EnvReader): void {
  const { postgres, redis, kafka, mail, services, tracing } = config;
  const local = '127.0.0.1';
  const ports: Array<[ServiceName, string, number]> = [
    ['postgresPrimary', postgres.primary.host, postgres.primary.port],
    ['postgresReplica', postgres.replica.host, postgres.replica.port],
    ['redisCache', redis.cache.host, redis.cache.port],
    ['redisQueue', redis.queue.host, redis.queue.port],
    ['kafka', local, kafka.port],
    ['kafkaController', local, kafka.controllerPort],
    ['smtp', mail.smtp.host, mail.smtp.port],
    ['smtpHttp', mail.smtp.host, mail.sinkHttpPort],
    ['jaegerUi', local, tracing.jaeger.uiPort],
    ['jaegerGrpc', local, tracing.jaeger.grpcPort],
    ['jaegerOtlp', local, tracing.jaeger.otlpPort],
    ['balancer', local, services.balancerPort],
    ['balancerAdmin', local, services.balancerAdminPort],
  ];
  const seen = new Map<string, string>();
  for (const [service, host, port] of ports) {
    const name = PORT_VARIABLES[service];
    const key = `${host}:${port}`;
    const other = seen.get(key);
    if (other) reader.problem(name, String(port), `the same port as ${other}; each service needs its own`);
    else seen.set(key, name);
  }
}
