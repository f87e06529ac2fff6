import type { HostPort } from './values';

/**
 * The balancer's configuration as plain data: what the parser's directive tree means, with
 * every default filled in and every inherited setting merged down to the location (nginx's
 * http -> server -> location inheritance). Built once per load; nothing here changes at run time.
 */
export interface BalancerConfig {
  /** The main file, as given with -c. */
  file: string;
  /** Every file read (main file first, then includes). */
  files: string[];
  /** Where the admin listener (status page, /status, /metrics) listens; null when `admin_listen off`. */
  admin: ListenConfig | null;
  pidFile: string | null;
  errorLog: LogTarget;
  /** events { worker_connections N; }: open client connections per listener, at most. */
  workerConnections: number;
  /**
   * `worker_processes N | auto` (auto: resolved to the cores Node reports). 1: one process, as
   * before; more: a primary process forks that many workers sharing the listening sockets.
   */
  workerProcesses: number;
  /**
   * events { accept_mutex on; }: the primary accepts connections and hands them to workers in
   * turn (node:cluster's SCHED_RR); off (nginx's default since 1.11.3): every worker accepts
   * on the shared socket and the kernel picks (SCHED_NONE). Read at start only.
   */
  acceptMutex: boolean;
  /** How long SIGTERM waits for in-flight requests before closing what is left. */
  shutdownTimeoutMs: number;
  upstreams: UpstreamConfig[];
  limitReqZones: LimitReqZoneConfig[];
  servers: ServerConfig[];
}

export type LogTarget = { kind: 'off' } | { kind: 'stdout' } | { kind: 'stderr' } | { kind: 'file'; path: string };

export interface SourceRef {
  file: string;
  line: number;
}

export interface ListenConfig extends HostPort, SourceRef {
  /** As written, e.g. `127.0.0.1:8080`. */
  text: string;
  defaultServer: boolean;
  backlog: number;
}

export interface UpstreamConfig extends SourceRef {
  name: string;
  /** The balancing directive (`least_conn`, `hash $request_uri consistent`, ...) or round_robin. */
  method: MethodConfig;
  servers: PeerConfig[];
  /** `keepalive N`: reuse upstream connections (null: a new connection per request, as nginx). */
  keepalive: number | null;
  keepaliveTimeoutMs: number;
  keepaliveRequests: number;
  /** `keepalive_time`: a connection is not reused once it is this old (nginx: 1h). */
  keepaliveTimeMs: number;
  /** Connection timeout for the pool: the largest proxy_connect_timeout of the locations using it. */
  connectTimeoutMs: number;
  healthCheck: HealthCheckConfig | null;
  /** NGINX Plus's `queue N timeout=T`: requests wait for a peer below max_conns (null: refused at once). */
  queue: QueueConfig | null;
  /** `adaptive_concurrency target=T [min=N]` (tenk's own): each server's limit moves under its max_conns; null: off. */
  adaptive: AdaptiveConfig | null;
  /** `zone NAME [SIZE]`: with several workers, peer state shared through the primary (null: each worker its own). */
  zone: UpstreamZoneConfig | null;
  /** `fail_on_read_timeout on`: a read timeout counts against max_fails, as in nginx (tenk's default: it does not). */
  failOnReadTimeout: boolean;
  /** Made from `proxy_pass http://host:port` rather than declared with `upstream`. */
  implicit: boolean;
}

export interface UpstreamZoneConfig extends SourceRef {
  name: string;
  /** As declared (checked as nginx checks it); tenk's shared state is a few numbers per peer, so it is not a limit. */
  sizeBytes: number | null;
}

export interface QueueConfig extends SourceRef {
  /** Most requests waiting at once. */
  size: number;
  /** Longest wait before a 503. */
  timeoutMs: number;
}

export interface AdaptiveConfig extends SourceRef {
  /** The mean response time each server is kept under. */
  targetMs: number;
  /** The lowest the limit goes. */
  min: number;
}

export interface MethodConfig extends SourceRef {
  /** The algorithm's name in the registry: round_robin, least_conn, ip_hash, hash, random. */
  name: string;
  args: string[];
}

export interface PeerConfig extends HostPort, SourceRef {
  /** As written in the `server` line, e.g. `127.0.0.1:3001`. */
  address: string;
  /**
   * The peer's identity across reloads and in /status and /metrics: the address, with `#2`, `#3`
   * appended to a second and third line with the same address (nginx makes each its own peer).
   */
  id: string;
  weight: number;
  maxFails: number;
  failTimeoutMs: number;
  /** 0 = unlimited. */
  maxConns: number;
  backup: boolean;
  down: boolean;
}

export interface HealthCheckConfig extends SourceRef {
  intervalMs: number;
  /** Random delay added to each interval, so checks of many peers do not line up. */
  jitterMs: number;
  fails: number;
  passes: number;
  uri: string;
  /** Check this port instead of the peer's (0 = the peer's). */
  port: number;
  timeoutMs: number;
  /** Peers start unhealthy until their first check passes. */
  mandatory: boolean;
}

export interface LimitReqZoneConfig extends SourceRef {
  name: string;
  /** The key template, e.g. `$binary_remote_addr`. */
  key: string;
  /** Requests per second. */
  rate: number;
  /** Most keys tracked (zone size / 128 bytes, nginx's cost of one state on 64-bit). */
  capacity: number;
}

export interface ServerConfig extends SourceRef {
  listens: ListenConfig[];
  names: string[];
  /** `return` at server level: answers every request before locations are matched. */
  serverReturn: ReturnConfig | null;
  locations: LocationConfig[];
  /** Connection-level settings come from the server block (the first on a shared port). */
  settings: HttpSettings;
}

export type LocationMatch =
  | { kind: 'named'; path: string }
  | { kind: 'exact'; path: string }
  | { kind: 'prefix'; path: string; stopRegex: boolean }
  | { kind: 'regex'; path: string; caseInsensitive: boolean };

/** `if (CONDITION) { return ...; }` in a location (the rewrite module's common subset). */
export interface IfConfig extends SourceRef {
  /** The tested value, a template (`$http_x_debug`). */
  subject: string;
  /** 'set': true when the value is neither empty nor "0". */
  op: 'set' | '=' | '!=' | '~' | '!~';
  /** The compared string (a template) or the regex source. */
  value: string;
  caseInsensitive: boolean;
  ret: ReturnConfig;
}

export interface LocationConfig extends SourceRef {
  match: LocationMatch;
  /** `if` blocks, in file order, evaluated before limit_req and the content (nginx's rewrite phase). */
  ifs: IfConfig[];
  /** How it is written, e.g. `location = /health`, for logs and errors. */
  label: string;
  handler: LocationHandler;
  settings: HttpSettings;
}

export type LocationHandler = ProxyPassConfig | ReturnConfig | StaticConfig;

export interface ProxyPassConfig {
  kind: 'proxy';
  upstream: string;
  /** `proxy_pass http://api/v1/;`: replaces the matched location prefix (null: URI unchanged). */
  uri: string | null;
  /** `proxy_pass http://api;` written form, for the status page. */
  text: string;
  /**
   * `proxy_pass http://$name...;`: the upstream's name is this template, looked up per request
   * among the upstream blocks (never resolved as a host name); `upstream` is then ''.
   */
  hostTemplate?: string | null;
  /** With variables in proxy_pass, its URI part (a template) replaces the whole request URI, as nginx. */
  uriTemplate?: string | null;
}

export interface ReturnConfig {
  kind: 'return';
  code: number;
  /** Body text (for non-redirect codes) or Location (301/302/303/307/308); may hold variables. */
  text: string | null;
}

export interface StaticConfig {
  kind: 'static';
}

export interface TryFilesConfig {
  /** Candidates tried in order, each a template such as `$uri` or `$uri/`. */
  files: string[];
  /** The last argument: `=404`, or a URI to redirect to internally (e.g. `/index.html`). */
  fallback: { code: number } | { uri: string };
}

export interface HeaderSetting {
  name: string;
  /** Lower-case name, for matching. */
  key: string;
  /** Value template; empty removes the header (proxy_set_header X ""). */
  value: string;
}

export interface AddHeaderSetting extends HeaderSetting {
  always: boolean;
}

export interface LimitReqRule extends SourceRef {
  zone: string;
  burst: number;
  /** Requests within `delay` of the burst pass at once; nodelay = Infinity. */
  delay: number;
}

export type ExpiresSetting = { kind: 'off' } | { kind: 'epoch' } | { kind: 'max' } | { kind: 'after'; ms: number };

/** `log_format NAME [escape=default|json|none] STRING ...;` (the strings joined). */
export interface LogFormatConfig extends SourceRef {
  name: string;
  escape: 'default' | 'json' | 'none';
  /** The format as one template. */
  text: string;
}

export interface AccessLogSetting {
  target: LogTarget;
  /** tenk's JSON lines, nginx's combined, or a log_format by name. */
  format: 'json' | 'combined' | LogFormatConfig;
  /** `if=CONDITION`: the line is written only when this template is neither empty nor "0". */
  condition?: string | null;
  /** Lines are written in batches of up to this many bytes (and at least every flush interval). */
  bufferBytes: number;
  flushMs: number;
}

/** `error_page CODE ... [=[CODE]] URI|@NAME|URL;` */
export interface ErrorPageConfig {
  codes: number[];
  /** null: the original code; a number: `=CODE`; 'target': `=` alone (the page's own status). */
  status: number | 'target' | null;
  /** `/uri`, `@named` or a URL (`http://...`, `$scheme://...`: a redirect). */
  target: string;
}

/** ngx_http_realip_module's three directives, merged as one setting. */
export interface RealIpConfig {
  /** set_real_ip_from: trusted addresses and CIDRs. */
  from: string[];
  /** real_ip_header: X-Real-IP (nginx's default), X-Forwarded-For or another header. */
  header: string;
  recursive: boolean;
}

/** Every setting that http, server and location blocks can hold, after merging. */
export interface HttpSettings {
  clientMaxBodySize: number;
  /** Bodies up to this size (by Content-Length) are read before the request goes upstream, so they can be retried. */
  clientBodyBufferSize: number;
  clientBodyTimeoutMs: number;
  clientHeaderTimeoutMs: number;
  keepaliveTimeoutMs: number;
  keepaliveRequests: number;
  /** keepalive_time: a client connection older than this closes after its current request (nginx: 1h). */
  keepaliveTimeMs: number;
  sendTimeoutMs: number;
  /** large_client_header_buffers N SIZE: request line + headers may use N * SIZE bytes. */
  maxHeaderBytes: number;
  proxyConnectTimeoutMs: number;
  proxyReadTimeoutMs: number;
  proxySendTimeoutMs: number;
  /** Bit set of NextUpstream flags (see http/next-upstream.ts). */
  proxyNextUpstream: number;
  proxyNextUpstreamTries: number;
  proxyNextUpstreamTimeoutMs: number;
  proxySetHeaders: HeaderSetting[];
  proxyHideHeaders: string[];
  addHeaders: AddHeaderSetting[];
  limitReq: LimitReqRule[];
  limitReqStatus: number;
  limitReqDryRun: boolean;
  root: string | null;
  alias: string | null;
  index: string[];
  tryFiles: TryFilesConfig | null;
  expires: ExpiresSetting;
  etag: boolean;
  defaultType: string;
  /** Extension (lower case, no dot) -> media type, on top of the built-in table. */
  types: Record<string, string>;
  accessLog: AccessLogSetting;
  /** error_page (a level that sets any replaces the inherited ones, as nginx). */
  errorPages: ErrorPageConfig[];
  /** proxy_intercept_errors: upstream answers >= 300 with an error_page go to it. */
  proxyInterceptErrors: boolean;
  /** set_real_ip_from (a list: a level that sets it replaces the inherited one, as nginx). */
  setRealIpFrom: string[];
  realIpHeader: string;
  realIpRecursive: boolean;
}
