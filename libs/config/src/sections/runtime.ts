import { EnvReader } from '../env-reader';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RuntimeConfig {
  environment: 'development' | 'test' | 'production';
  logLevel: LogLevel;
  /** How long a SIGTERM'd process waits for in-flight work before exiting. */
  shutdownGraceMs: number;
}

export function readRuntime(env: EnvReader): RuntimeConfig {
  const environment = env.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  return {
    environment,
    logLevel: env.oneOf('TENK_LOG_LEVEL', LOG_LEVELS, environment === 'test' ? 'warn' : 'info'),
    shutdownGraceMs: env.durationMs('TENK_SHUTDOWN_GRACE', 10_000),
  };
}
