import { DEFAULT_NEXT_UPSTREAM } from '../http/next-upstream';
import type { HttpSettings } from './schema';

/** nginx's defaults, except where the README says tenk differs (access_log). */
export const DEFAULT_SETTINGS: HttpSettings = {
  clientMaxBodySize: 1024 * 1024,
  clientBodyBufferSize: 16 * 1024,
  clientBodyTimeoutMs: 60_000,
  clientHeaderTimeoutMs: 60_000,
  keepaliveTimeoutMs: 75_000,
  keepaliveRequests: 1000,
  keepaliveTimeMs: 3_600_000,
  sendTimeoutMs: 60_000,
  maxHeaderBytes: 4 * 8 * 1024,
  proxyConnectTimeoutMs: 60_000,
  proxyReadTimeoutMs: 60_000,
  proxySendTimeoutMs: 60_000,
  proxyNextUpstream: DEFAULT_NEXT_UPSTREAM,
  proxyNextUpstreamTries: 0,
  proxyNextUpstreamTimeoutMs: 0,
  proxySetHeaders: [],
  proxyHideHeaders: [],
  addHeaders: [],
  limitReq: [],
  limitReqStatus: 503,
  limitReqDryRun: false,
  root: null,
  alias: null,
  index: ['index.html'],
  tryFiles: null,
  expires: { kind: 'off' },
  etag: true,
  defaultType: 'application/octet-stream',
  types: {},
  errorPages: [],
  proxyInterceptErrors: false,
  setRealIpFrom: [],
  realIpHeader: 'X-Real-IP',
  realIpRecursive: false,
  accessLog: { target: { kind: 'stdout' }, format: 'json', condition: null, bufferBytes: 64 * 1024, flushMs: 1000 },
};

export const DEFAULT_ADMIN = { host: '127.0.0.1', port: 8081 };
export const DEFAULT_WORKER_CONNECTIONS = 4096;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;
export const DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_MS = 60_000;
export const DEFAULT_UPSTREAM_KEEPALIVE_REQUESTS = 1000;
/** keepalive_time's default, for clients and upstreams alike (nginx's 1h). */
export const DEFAULT_KEEPALIVE_TIME_MS = 3_600_000;
