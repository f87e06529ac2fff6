/**
 * Every default port of the local stack, in one place: tools/infra, the apps, the
 * balancer config and docker/ all read (or mirror) these. Unusual numbers so nothing clashes
 * with services a machine already runs; each one can be changed by its variable.
 */
export const DEFAULT_PORTS = {
  postgresPrimary: 55432,
  postgresReplica: 55433,
  redisCache: 56379,
  redisQueue: 56380,
  kafka: 59092,
  kafkaController: 59093,
  smtp: 2525,
  smtpHttp: 58025,
  jaegerUi: 56686,
  jaegerGrpc: 56685,
  jaegerOtlp: 54318,
  balancer: 8080,
  balancerAdmin: 8081,
  api: 3001,
  mediaWorker: 3101,
  mailer: 3102,
  reports: 3103,
  paymentSim: 3200,
  paymentSimAdmin: 3201,
  shopControl: 8089,
  map: 8082,
} as const;

export type ServiceName = keyof typeof DEFAULT_PORTS;

/** The environment variable that moves each port. */
export const PORT_VARIABLES: Record<ServiceName, string> = {
  postgresPrimary: 'TENK_PG_PORT',
  postgresReplica: 'TENK_PG_REPLICA_PORT',
  redisCache: 'TENK_REDIS_CACHE_PORT',
  redisQueue: 'TENK_REDIS_QUEUE_PORT',
  kafka: 'TENK_KAFKA_PORT',
  kafkaController: 'TENK_KAFKA_CONTROLLER_PORT',
  smtp: 'TENK_SMTP_PORT',
  smtpHttp: 'TENK_SMTP_HTTP_PORT',
  jaegerUi: 'TENK_JAEGER_UI_PORT',
  jaegerGrpc: 'TENK_JAEGER_GRPC_PORT',
  jaegerOtlp: 'TENK_JAEGER_OTLP_PORT',
  balancer: 'TENK_BALANCER_PORT',
  balancerAdmin: 'TENK_BALANCER_ADMIN_PORT',
  api: 'TENK_API_PORT',
  mediaWorker: 'TENK_MEDIA_WORKER_PORT',
  mailer: 'TENK_MAILER_PORT',
  reports: 'TENK_REPORTS_PORT',
  paymentSim: 'TENK_PAYMENT_SIM_PORT',
  paymentSimAdmin: 'TENK_PAYMENT_SIM_ADMIN_PORT',
  shopControl: 'TENK_SHOP_CONTROL_PORT',
  map: 'TENK_MAP_PORT',
};

/** Physical shard databases, in shard-number order. */
export const DEFAULT_SHARD_DATABASES = ['shard_0', 'shard_1', 'shard_2', 'shard_3'] as const;
