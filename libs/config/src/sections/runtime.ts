import { isIP } from 'node:net';
import { EnvReader } from '../env-reader';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Names Express (proxy-addr) knows for address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

export interface RuntimeConfig {
  environment: 'development' | 'test' | 'production';
  logLevel: LogLevel;
  /** How long a SIGTERM'd process waits for in-flight work before exiting. */
  shutdownGraceMs: number;
  /**
   * The proxies whose X-Forwarded-For an HTTP service believes (addresses, CIDRs, or
   * `loopback` / `linklocal` / `uniquelocal`); empty: none, the peer is the client. Anyone
   * else's X-Forwarded-For is ignored, so per-client limits see the real client.
   */
  trustedProxies: string[];
}

export function readRuntime(env: EnvReader): RuntimeConfig {
  const environment = env.oneOf('NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  return {
    environment,
    logLevel: env.oneOf('TENK_LOG_LEVEL', LOG_LEVELS, environment === 'test' ? 'warn' : 'info'),
    shutdownGraceMs: env.durationMs('TENK_SHUTDOWN_GRACE', 10_000),
    trustedProxies: readTrustedProxies(env),
  };
}

function readTrustedProxies(env: EnvReader): string[] {
  const items = env.list('TENK_TRUSTED_PROXIES', ['loopback'], /^\S+$/);
  if (items.length === 1 && items[0] === 'none') return [];
  const bad = items.filter((item) => !isProxyRange(item));
  if (bad.length > 0) {
    env.problem(
      'TENK_TRUSTED_PROXIES',
      items.join(','),
      `${bad.join(', ')}: expected IP addresses or CIDRs (10.0.0.0/8, fd00::/8), loopback, linklocal, uniquelocal, or none`,
    );
    return ['loopback'];
  }
  return items;
}

function isProxyRange(item: string): boolean {
  if (PROXY_RANGE_NAMES.includes(item)) return true;
  const [address, prefix, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
