import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { algorithmForDirective, ALGORITHMS, findAlgorithm, type AlgorithmDefinition } from '../algorithms';
import { parseNextUpstream } from '../http/next-upstream';
import { isTemplateError, Template } from '../http/variables';
import { ConfigError } from './config-error';
import {
  DEFAULT_ADMIN,
  DEFAULT_SETTINGS,
  DEFAULT_KEEPALIVE_TIME_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_UPSTREAM_KEEPALIVE_REQUESTS,
  DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_MS,
  DEFAULT_WORKER_CONNECTIONS,
} from './defaults';
import type { Directive, ParsedConfig } from './parser';
import type {
  AccessLogSetting,
  BalancerConfig,
  HealthCheckConfig,
  ErrorPageConfig,
  HttpSettings,
  IfConfig,
  LimitReqZoneConfig,
  ListenConfig,
  LogFormatConfig,
  LocationConfig,
  LocationHandler,
  LocationMatch,
  LogTarget,
  MethodConfig,
  PeerConfig,
  ProxyPassConfig,
  ReturnConfig,
  ServerConfig,
  QueueConfig,
  AdaptiveConfig,
  UpstreamConfig,
  UpstreamZoneConfig,
} from './schema';
import {
  formatHostPort,
  parseFlag,
  parseListenAddress,
  parseNonNegativeInt,
  parsePositiveInt,
  parseRate,
  parseServerAddress,
  parseSize,
  parseTime,
} from './values';

type Context = 'main' | 'events' | 'http' | 'server' | 'location' | 'upstream';

interface Spec {
  contexts: readonly Context[];
  min: number;
  max: number;
  block: boolean;
}

const HSL: readonly Context[] = ['http', 'server', 'location'];
const HS: readonly Context[] = ['http', 'server'];
const spec = (contexts: readonly Context[], min: number, max: number, block = false): Spec => ({ contexts, min, max, block });
const MANY = Number.POSITIVE_INFINITY;

/**
 * Every directive tenk understands, where it may appear and how many arguments it takes
 * (nginx's ngx_command_t table). `server` has two meanings, so it is handled by context.
 */
const SPECS: Record<string, Spec> = {
  http: spec(['main'], 0, 0, true),
  events: spec(['main'], 0, 0, true),
  worker_processes: spec(['main'], 1, 1),
  worker_connections: spec(['events'], 1, 1),
  accept_mutex: spec(['events'], 1, 1),
  worker_shutdown_timeout: spec(['main'], 1, 1),
  pid: spec(['main'], 1, 1),
  daemon: spec(['main'], 1, 1),
  error_log: spec(['main', 'http'], 1, 2),
  admin_listen: spec(['main', 'http'], 1, 1),
  upstream: spec(['http'], 1, 1, true),
  limit_req_zone: spec(['http'], 3, 4),
  listen: spec(['server'], 1, MANY),
  server_name: spec(['server'], 1, MANY),
  location: spec(['server'], 1, 2, true),
  return: spec(['server', 'location'], 1, 2),
  proxy_pass: spec(['location'], 1, 1),
  if: spec(['location'], 1, MANY, true),
  alias: spec(['location'], 1, 1),
  try_files: spec(['server', 'location'], 2, MANY),
  health_check: spec(['upstream', 'location'], 0, MANY),
  keepalive: spec(['upstream'], 1, 1),
  keepalive_requests: spec(['upstream', ...HSL], 1, 1),
  keepalive_timeout: spec(['upstream', ...HSL], 1, 2),
  keepalive_time: spec(['upstream', ...HSL], 1, 1),
  zone: spec(['upstream'], 1, 2),
  fail_on_read_timeout: spec(['upstream'], 1, 1),
  queue: spec(['upstream'], 1, 2),
  adaptive_concurrency: spec(['upstream'], 1, 3),
  client_max_body_size: spec(HSL, 1, 1),
  client_body_buffer_size: spec(HSL, 1, 1),
  client_body_timeout: spec(HSL, 1, 1),
  client_header_timeout: spec(HS, 1, 1),
  send_timeout: spec(HSL, 1, 1),
  large_client_header_buffers: spec(HS, 2, 2),
  proxy_connect_timeout: spec(HSL, 1, 1),
  proxy_read_timeout: spec(HSL, 1, 1),
  proxy_send_timeout: spec(HSL, 1, 1),
  proxy_next_upstream: spec(HSL, 1, MANY),
  proxy_next_upstream_tries: spec(HSL, 1, 1),
  proxy_next_upstream_timeout: spec(HSL, 1, 1),
  proxy_set_header: spec(HSL, 2, 2),
  proxy_hide_header: spec(HSL, 1, 1),
  add_header: spec(HSL, 2, 3),
  limit_req: spec(HSL, 1, 3),
  limit_req_status: spec(HSL, 1, 1),
  limit_req_dry_run: spec(HSL, 1, 1),
  root: spec(HSL, 1, 1),
  index: spec(HSL, 1, MANY),
  expires: spec(HSL, 1, 1),
  etag: spec(HSL, 1, 1),
  default_type: spec(HSL, 1, 1),
  types: spec(HSL, 0, 0, true),
  access_log: spec(HSL, 1, 5),
  log_format: spec(['http'], 2, MANY),
  set_real_ip_from: spec(HSL, 1, 1),
  error_page: spec(HSL, 2, MANY),
  proxy_intercept_errors: spec(HSL, 1, 1),
  real_ip_header: spec(HSL, 1, 1),
  real_ip_recursive: spec(HSL, 1, 1),
};

/** Accepted so nginx configs load, with no effect in tenk (the README says why for each). */
const IGNORED: Record<string, readonly Context[]> = {
  use: ['events'],
  multi_accept: ['events'],
  sendfile: HSL,
  tcp_nopush: HSL,
  tcp_nodelay: HSL,
  server_tokens: HSL,
  proxy_http_version: HSL,
  proxy_buffering: HSL,
  proxy_request_buffering: HSL,
  proxy_buffer_size: HSL,
  proxy_buffers: HSL,
  limit_req_log_level: HSL,
  reset_timedout_connection: HSL,
};

/** Known nginx directives tenk does not implement, with what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  ssl_certificate: 'TLS is not supported: terminate TLS in front of tenk (a cloud load balancer, or nginx itself)',
  ssl_certificate_key: 'TLS is not supported: terminate TLS in front of tenk',
  rewrite: 'rewrite is not supported: use proxy_pass with a URI part, or return 301',
  gzip: 'compression is not supported: compress in the application or in front of tenk',
  fastcgi_pass: 'only HTTP upstreams are supported (proxy_pass http://...)',
  grpc_pass: 'only HTTP/1.1 upstreams are supported (proxy_pass http://...)',
  uwsgi_pass: 'only HTTP upstreams are supported (proxy_pass http://...)',
  map: '"map" is not supported',
  proxy_cache: 'response caching is not supported: tenk caches in the api (Redis)',
  proxy_cache_path: 'response caching is not supported: tenk caches in the api (Redis)',
  user: 'tenk runs as the user that starts it',
};

const ALL_DIRECTIVES = [
  ...Object.keys(SPECS),
  'server',
  'include',
  ...Object.keys(IGNORED),
  ...ALGORITHMS.flatMap((a) => (a.directive ? [a.directive] : [])),
];

interface UpstreamDraft {
  name: string;
  file: string;
  line: number;
  method: MethodConfig | null;
  servers: PeerConfig[];
  keepalive: number | null;
  keepaliveTimeoutMs: number | null;
  keepaliveRequests: number | null;
  keepaliveTimeMs: number | null;
  healthCheck: HealthCheckConfig | null;
  failOnReadTimeout: boolean | null;
  queue: QueueConfig | null;
  zone: UpstreamZoneConfig | null;
  /** null: not given; false: `adaptive_concurrency off`. */
  adaptive: AdaptiveConfig | false | null;
  implicit: boolean;
}

interface LocationDraft {
  directive: Directive;
  match: LocationMatch;
  label: string;
  proxyPass: (ProxyPassConfig & { directive: Directive }) | null;
  ret: ReturnConfig | null;
  ifs: IfConfig[];
  healthCheck: HealthCheckConfig | null;
  settings: Partial<HttpSettings>;
}

interface ServerDraft {
  directive: Directive;
  listens: ListenConfig[];
  names: string[];
  serverReturn: ReturnConfig | null;
  locations: LocationDraft[];
  settings: Partial<HttpSettings>;
}

export interface BuildOptions {
  /** Relative root/alias/log/pid paths resolve against this folder (nginx's -p prefix). */
  prefix: string;
  /** Check that no public listener uses the admin port (default true; loadConfig checks after the environment's overrides). */
  checkAdmin?: boolean;
}

/** Turns the parsed directive tree into a BalancerConfig, or throws a ConfigError naming file:line. */
export function buildConfig(parsed: ParsedConfig, options: BuildOptions): BalancerConfig {
  return new ConfigBuilder(parsed, options).build();
}

class ConfigBuilder {
  readonly #parsed: ParsedConfig;
  readonly #prefix: string;
  readonly #checkAdmin: boolean;
  #admin: ListenConfig | null | undefined = undefined;
  #pidFile: string | null = null;
  #errorLog: LogTarget | undefined = undefined;
  #workerConnections: number | undefined = undefined;
  #workerProcesses: number | undefined = undefined;
  #acceptMutex: boolean | undefined = undefined;
  /** Upstream zones by name, with the size first declared (nginx: several upstreams may share one). */
  readonly #upstreamZones = new Map<string, UpstreamZoneConfig & { upstream: string }>();
  #shutdownTimeoutMs: number | undefined = undefined;
  #sawHttpBlock = false;
  readonly #http: Partial<HttpSettings> = {};
  readonly #upstreams = new Map<string, UpstreamDraft>();
  readonly #zones = new Map<string, LimitReqZoneConfig>();
  readonly #logFormats = new Map<string, LogFormatConfig>();
  readonly #servers: ServerDraft[] = [];

  constructor(parsed: ParsedConfig, options: BuildOptions) {
    this.#parsed = parsed;
    this.#prefix = options.prefix;
    this.#checkAdmin = options.checkAdmin !== false;
  }

  build(): BalancerConfig {
    this.#walk(this.#parsed.directives, 'main');
    if (this.#servers.length === 0) {
      throw new ConfigError(
        { file: this.#parsed.file, line: 1 },
        'no "server" block: nothing to listen on (see apps/balancer/conf/tenk.conf for a start)',
      );
    }
    const httpSettings = merge(DEFAULT_SETTINGS, this.#http);
    const servers = this.#servers.map((server) => this.#finishServer(server, httpSettings));
    this.#checkListeners(servers);
    const upstreams = this.#finishUpstreams(servers);
    const admin =
      this.#admin === undefined
        ? {
            ...DEFAULT_ADMIN,
            text: `${DEFAULT_ADMIN.host}:${DEFAULT_ADMIN.port}`,
            defaultServer: false,
            backlog: 511,
            file: this.#parsed.file,
            line: 0,
          }
        : this.#admin;
    // With TENK_BALANCER_ADMIN_PORT set, loadConfig checks after moving the port (the file's default may not be the one used).
    if (this.#checkAdmin) checkAdminClash(servers, admin, '');
    return {
      file: this.#parsed.file,
      files: this.#parsed.files,
      admin,
      pidFile: this.#pidFile,
      errorLog: this.#errorLog ?? { kind: 'stdout' },
      workerConnections: this.#workerConnections ?? DEFAULT_WORKER_CONNECTIONS,
      workerProcesses: this.#workerProcesses ?? 1,
      acceptMutex: this.#acceptMutex ?? false,
      shutdownTimeoutMs: this.#shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
      upstreams,
      limitReqZones: [...this.#zones.values()],
      servers,
    };
  }

  // ---- walking -------------------------------------------------------------------------

  #walk(directives: readonly Directive[], context: Context, target?: ServerDraft | LocationDraft | UpstreamDraft): void {
    for (const d of directives) this.#directive(d, context, target);
  }

  #directive(d: Directive, context: Context, target?: ServerDraft | LocationDraft | UpstreamDraft): void {
    const name = d.name;
    // tenk lets a file leave out `http { }`: http directives may sit at the top level.
    const effective: Context =
      context === 'main' && !SPECS[name]?.contexts.includes('main') && this.#allowedIn(name, 'http') ? 'http' : context;

    if (name === 'server') {
      if (effective === 'http') return this.#server(d);
      if (effective === 'upstream') return this.#upstreamServer(d, target as UpstreamDraft);
      throw fail(d, `is not allowed here (it belongs in http { } as a block, or in upstream { } as a peer)`);
    }
    if (effective === 'upstream') {
      const algorithm = algorithmForDirective(name);
      if (algorithm) return this.#method(d, target as UpstreamDraft, algorithm);
    }
    const ignored = IGNORED[name];
    if (ignored) {
      if (!ignored.includes(effective)) throw fail(d, `is not allowed in ${describeContext(effective)}`);
      return;
    }
    const s = SPECS[name];
    if (!s) {
      const reason = UNSUPPORTED[name];
      if (reason) throw fail(d, `is not supported: ${reason}`);
      const guess = closest(name, ALL_DIRECTIVES);
      throw fail(d, `unknown directive${guess ? ` (did you mean "${guess}"?)` : ''}`);
    }
    if (!s.contexts.includes(effective)) {
      throw fail(d, `is not allowed in ${describeContext(effective)} (it belongs in ${s.contexts.map(describeContext).join(' or ')})`);
    }
    if (d.args.length < s.min || d.args.length > s.max) {
      const expected = s.min === s.max ? `${s.min}` : s.max === MANY ? `at least ${s.min}` : `${s.min} to ${s.max}`;
      throw fail(d, `takes ${expected} argument${s.max === 1 && s.min === 1 ? '' : 's'}, got ${d.args.length}`);
    }
    if (s.block && d.block === null) throw fail(d, 'needs a block: { ... }');
    if (!s.block && d.block !== null && name !== 'types') throw fail(d, 'takes no block: end it with ";"');

    switch (effective) {
      case 'main':
        return this.#mainDirective(d);
      case 'events':
        return this.#eventsDirective(d);
      case 'http':
        return this.#httpDirective(d);
      case 'server':
        return this.#serverDirective(d, target as ServerDraft);
      case 'location':
        return this.#locationDirective(d, target as LocationDraft);
      case 'upstream':
        return this.#upstreamDirective(d, target as UpstreamDraft);
    }
  }

  #allowedIn(name: string, context: Context): boolean {
    return SPECS[name]?.contexts.includes(context) === true || IGNORED[name]?.includes(context) === true || name === 'server';
  }

  #mainDirective(d: Directive): void {
    switch (d.name) {
      case 'http':
        if (this.#sawHttpBlock) throw fail(d, 'is duplicate: one http { } block per configuration');
        this.#sawHttpBlock = true;
        return this.#walk(d.block ?? [], 'http');
      case 'events':
        return this.#walk(d.block ?? [], 'events');
      case 'worker_processes':
        if (this.#workerProcesses !== undefined) throw fail(d, 'is duplicate');
        this.#workerProcesses = workerProcesses(d, d.args[0]);
        return;
      case 'worker_shutdown_timeout':
        this.#shutdownTimeoutMs = time(d, d.args[0]);
        return;
      case 'pid':
        this.#pidFile = d.args[0] === 'off' ? null : path.resolve(this.#prefix, d.args[0]);
        return;
      case 'daemon':
        if (d.args[0] !== 'off') throw fail(d, 'tenk always runs in the foreground; use "daemon off;" or leave it out');
        return;
      default:
        return this.#httpDirective(d);
    }
  }

  #eventsDirective(d: Directive): void {
    if (d.name === 'worker_connections') this.#workerConnections = positiveInt(d, d.args[0]);
    if (d.name === 'accept_mutex') this.#acceptMutex = flag(d, d.args[0]);
  }

  #httpDirective(d: Directive): void {
    switch (d.name) {
      case 'error_log':
        this.#errorLog = this.#logTarget(d, d.args[0]);
        if (d.args[1] !== undefined && !['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'].includes(d.args[1])) {
          throw fail(d, `unknown level "${d.args[1]}"`);
        }
        return;
      case 'admin_listen':
        if (this.#admin !== undefined) throw fail(d, 'is duplicate');
        this.#admin = d.args[0] === 'off' ? null : this.#listen(d, [d.args[0]]);
        return;
      case 'upstream':
        return this.#upstream(d);
      case 'limit_req_zone':
        return this.#limitReqZone(d);
      case 'log_format':
        return this.#logFormat(d);
      default:
        return this.#setting(d, this.#http, 'http');
    }
  }

  // ---- server and location -----------------------------------------------------------------

  #server(d: Directive): void {
    if (d.args.length > 0) throw fail(d, 'takes no arguments in http { } (did you mean a peer inside upstream { }?)');
    if (d.block === null) throw fail(d, 'needs a block: server { listen ...; location / { ... } }');
    const server: ServerDraft = { directive: d, listens: [], names: [], serverReturn: null, locations: [], settings: {} };
    this.#walk(d.block, 'server', server);
    if (server.listens.length === 0) {
      throw fail(d, 'has no "listen" directive: add one, e.g. listen 8080;');
    }
    this.#servers.push(server);
  }

  #serverDirective(d: Directive, server: ServerDraft): void {
    switch (d.name) {
      case 'listen':
        server.listens.push(this.#listen(d, d.args));
        return;
      case 'server_name':
        server.names.push(...d.args.map((name) => name.toLowerCase()));
        return;
      case 'location':
        return this.#location(d, server);
      case 'return':
        if (server.serverReturn) throw fail(d, 'is duplicate');
        server.serverReturn = this.#return(d);
        return;
      default:
        return this.#setting(d, server.settings, 'server');
    }
  }

  #listen(d: Directive, args: readonly string[]): ListenConfig {
    const address = parseListenAddress(args[0]);
    if (!address) throw fail(d, `"${args[0]}" is not an address: write PORT, HOST:PORT or [IPv6]:PORT`);
    const listen: ListenConfig = { ...address, text: args[0], defaultServer: false, backlog: 511, file: d.file, line: d.line };
    for (const parameter of args.slice(1)) {
      if (parameter === 'default_server' || parameter === 'default') listen.defaultServer = true;
      else if (parameter.startsWith('backlog=')) listen.backlog = positiveInt(d, parameter.slice(8));
      else if (parameter === 'ssl' || parameter === 'http2' || parameter === 'quic')
        throw fail(d, `"${parameter}" is not supported: ${UNSUPPORTED.ssl_certificate}`);
      else throw fail(d, `unknown parameter "${parameter}" (supported: default_server, backlog=N)`);
    }
    return listen;
  }

  #location(d: Directive, server: ServerDraft): void {
    const { match, label } = locationMatch(d);
    const location: LocationDraft = { directive: d, match, label, proxyPass: null, ret: null, ifs: [], healthCheck: null, settings: {} };
    for (const inner of d.block ?? []) {
      if (inner.name === 'location') throw fail(inner, 'nested locations are not supported: write them side by side in the server block');
      this.#directive(inner, 'location', location);
    }
    const duplicate = server.locations.find((other) => other.match.kind === match.kind && other.match.path === match.path);
    if (duplicate) throw fail(d, `"${label}" is duplicate (first at ${duplicate.directive.file}:${duplicate.directive.line})`);
    server.locations.push(location);
  }

  #locationDirective(d: Directive, location: LocationDraft): void {
    switch (d.name) {
      case 'proxy_pass':
        if (location.proxyPass) throw fail(d, 'is duplicate');
        location.proxyPass = { ...this.#proxyPass(d, location), directive: d };
        return;
      case 'return':
        if (location.ret) throw fail(d, 'is duplicate');
        location.ret = this.#return(d);
        return;
      case 'if':
        if (location.ret) throw fail(d, `comes after the location's "return", which answers first: it is never reached`);
        location.ifs.push(this.#if(d));
        return;
      case 'alias':
        if (location.settings.alias !== undefined) throw fail(d, 'is duplicate');
        if (location.match.kind === 'regex') throw fail(d, 'in a regex location is not supported: use root');
        if (location.settings.root !== undefined) throw fail(d, 'cannot be used together with "root" in one location');
        location.settings.alias = path.resolve(this.#prefix, d.args[0]);
        return;
      case 'health_check':
        if (location.healthCheck) throw fail(d, 'is duplicate');
        location.healthCheck = this.#healthCheck(d);
        return;
      default:
        return this.#setting(d, location.settings, 'location');
    }
  }

  #proxyPass(d: Directive, location: LocationDraft): ProxyPassConfig {
    const text = d.args[0];
    if (/^https:\/\//i.test(text)) throw fail(d, `"${text}": TLS to upstreams is not supported; use http://`);
    const match = /^http:\/\/([^/]+)(\/.*)?$/i.exec(text);
    if (!match) throw fail(d, `"${text}" is not an upstream: write proxy_pass http://NAME; (an upstream block) or http://HOST:PORT;`);
    if (text.includes('$')) {
      // nginx: with variables, a URI part replaces the whole request URI (allowed in regex
      // locations); the host names an upstream group, found per request. tenk never resolves
      // it as a host name (nginx would, with a resolver): only declared upstreams are reached.
      const [host, uriPart] = [match[1], match[2] ?? null];
      this.#template(d, host);
      if (uriPart !== null) this.#template(d, uriPart);
      const dynamicHost = host.includes('$');
      return {
        kind: 'proxy',
        upstream: dynamicHost ? '' : host,
        uri: null,
        text,
        hostTemplate: dynamicHost ? host : null,
        uriTemplate: uriPart,
      };
    }
    const uri = match[2] ?? null;
    if (uri !== null && location.match.kind === 'named') throw fail(d, 'cannot have a URI part in a named location (nginx refuses it too)');
    if (uri !== null && location.match.kind === 'regex') {
      throw fail(d, 'cannot have a URI part in a regex location (nginx refuses it too): write proxy_pass http://NAME;');
    }
    return { kind: 'proxy', upstream: match[1], uri, text };
  }

  #return(d: Directive): ReturnConfig {
    const [first, second] = d.args;
    if (d.args.length === 1 && /^(https?:\/\/|\$scheme)/.test(first))
      return { kind: 'return', code: 302, text: this.#template(d, first).text };
    const code = parseNonNegativeInt(first);
    if (code === undefined || code > 999) throw fail(d, `"${first}" is not a status code (write return CODE [TEXT]; or return URL;)`);
    if (second !== undefined) this.#template(d, second);
    return { kind: 'return', code, text: second ?? null };
  }

  /** `if (CONDITION) { return ...; }`: ngx_http_rewrite_module's conditions without file tests. */
  #if(d: Directive): IfConfig {
    const words = [...d.args];
    const usage = 'write if ($var) / ($var = value) / ($var != value) / ($var ~ regex) / ($var ~* regex) / ($var !~ regex)';
    if (words[0] === '(') words.shift();
    else if (words[0].startsWith('(')) words[0] = words[0].slice(1);
    else throw fail(d, `the condition must be in parentheses: ${usage}`);
    const last = words.length - 1;
    if (words[last] === ')') words.pop();
    else if (words[last].endsWith(')')) words[last] = words[last].slice(0, -1);
    else throw fail(d, `the condition must end with ")": ${usage}`);
    const [subject, op, value, extra] = words;
    if (subject === undefined || subject === '') throw fail(d, `has an empty condition: ${usage}`);
    if (/^!?-[fdex]$/.test(subject)) throw fail(d, `file tests (${subject}) are not supported: use try_files`);
    if (!subject.startsWith('$')) throw fail(d, `"${subject}" is not a variable: ${usage}`);
    this.#template(d, subject);
    let config: Omit<IfConfig, 'ret'>;
    if (op === undefined) config = { subject, op: 'set', value: '', caseInsensitive: false, file: d.file, line: d.line };
    else {
      if (value === undefined || extra !== undefined) throw fail(d, `"${words.join(' ')}" is not a condition: ${usage}`);
      if (op === '=' || op === '!=') {
        this.#template(d, value);
        config = { subject, op, value, caseInsensitive: false, file: d.file, line: d.line };
      } else if (op === '~' || op === '~*' || op === '!~' || op === '!~*') {
        try {
          new RegExp(value);
        } catch (error) {
          throw fail(d, `"${value}" is not a valid regular expression: ${(error as Error).message}`);
        }
        config = { subject, op: op.startsWith('!') ? '!~' : '~', value, caseInsensitive: op.endsWith('*'), file: d.file, line: d.line };
      } else throw fail(d, `unknown operator "${op}": ${usage}`);
    }
    const inner = d.block ?? [];
    const ret = inner.find((directive) => directive.name === 'return');
    const other = inner.find((directive) => directive.name !== 'return');
    if (other)
      throw fail(
        other,
        'inside "if" only "return" is supported (the rewrite module\'s common subset; nginx calls the rest of "if" in a location evil)',
      );
    if (!ret || inner.length > 1) throw fail(d, 'needs exactly one "return" in its block: if (...) { return CODE [TEXT]; }');
    if (ret.args.length < 1 || ret.args.length > 2) throw fail(ret, `takes 1 to 2 arguments, got ${ret.args.length}`);
    return { ...config, ret: this.#return(ret) };
  }

  // ---- upstream ------------------------------------------------------------------------

  #upstream(d: Directive): void {
    const name = d.args[0];
    const existing = this.#upstreams.get(name);
    if (existing) throw fail(d, `upstream "${name}" is duplicate (first at ${existing.file}:${existing.line})`);
    const upstream: UpstreamDraft = {
      name,
      file: d.file,
      line: d.line,
      method: null,
      servers: [],
      keepalive: null,
      keepaliveTimeoutMs: null,
      keepaliveRequests: null,
      keepaliveTimeMs: null,
      healthCheck: null,
      failOnReadTimeout: null,
      queue: null,
      zone: null,
      adaptive: null,
      implicit: false,
    };
    this.#walk(d.block ?? [], 'upstream', upstream);
    if (upstream.servers.length === 0)
      throw fail(d, `upstream "${name}" has no servers: add server HOST:PORT; lines (or include a file that has them)`);
    const method = upstream.method;
    if (method) {
      const algorithm = findAlgorithm(method.name);
      const backup = upstream.servers.find((server) => server.backup);
      if (algorithm && !algorithm.supportsBackup && backup) {
        throw new ConfigError(
          { file: backup.file, line: backup.line, directive: 'server' },
          `"backup" cannot be used with ${method.name} in upstream "${name}" (nginx refuses it too): remove "backup" or balance with round-robin or least_conn`,
        );
      }
    }
    if (upstream.servers.every((server) => server.backup))
      throw fail(d, `upstream "${name}" has only backup servers: at least one must be primary`);
    if (upstream.queue && upstream.servers.every((server) => server.maxConns === 0)) {
      throw new ConfigError(
        { file: upstream.queue.file, line: upstream.queue.line, directive: 'queue' },
        `upstream "${name}" has a queue but no server with max_conns=N: without a limit no request ever waits; add max_conns to the server lines`,
      );
    }
    if (upstream.adaptive && upstream.servers.every((server) => server.maxConns === 0)) {
      throw new ConfigError(
        { file: upstream.adaptive.file, line: upstream.adaptive.line, directive: 'adaptive_concurrency' },
        `upstream "${name}" has adaptive_concurrency but no server with max_conns=N: max_conns is the ceiling the limit moves under; add it to the server lines`,
      );
    }
    this.#upstreams.set(name, upstream);
  }

  #upstreamServer(d: Directive, upstream: UpstreamDraft): void {
    if (d.block !== null) throw fail(d, 'in upstream { } is a peer and takes no block: server HOST:PORT [weight=N] ...;');
    if (d.args.length === 0)
      throw fail(d, 'needs an address: server HOST:PORT [weight=N] [max_fails=N] [fail_timeout=T] [backup] [down] [max_conns=N];');
    const address = parseServerAddress(d.args[0]);
    if (!address)
      throw fail(d, `"${d.args[0]}" is not a HOST:PORT address${d.args[0].startsWith('unix:') ? ' (unix sockets are not supported)' : ''}`);
    const peer: PeerConfig = {
      ...address,
      address: d.args[0],
      id: d.args[0],
      weight: 1,
      maxFails: 1,
      failTimeoutMs: 10_000,
      maxConns: 0,
      backup: false,
      down: false,
      file: d.file,
      line: d.line,
    };
    for (const parameter of d.args.slice(1)) {
      const [key, value] = splitParameter(parameter);
      switch (key) {
        case 'weight':
          peer.weight = positiveInt(d, value, 'weight');
          break;
        case 'max_fails':
          peer.maxFails = nonNegativeInt(d, value, 'max_fails');
          break;
        case 'fail_timeout':
          peer.failTimeoutMs = time(d, value ?? '', 'fail_timeout');
          break;
        case 'max_conns':
          peer.maxConns = nonNegativeInt(d, value, 'max_conns');
          break;
        case 'backup':
          peer.backup = true;
          break;
        case 'down':
          peer.down = true;
          break;
        case 'resolve':
        case 'service':
        case 'route':
        case 'slow_start':
        case 'drain':
          throw fail(d, `"${key}" is an NGINX Plus parameter that tenk does not support`);
        default:
          throw fail(d, `unknown parameter "${parameter}" (supported: weight=N max_fails=N fail_timeout=T max_conns=N backup down)`);
      }
    }
    // nginx accepts the same address twice: each line is a peer of its own (with its own weight,
    // failures and connections), which configurations use to give one host two slots.
    const same = upstream.servers.filter((other) => other.address === peer.address).length;
    if (same > 0) peer.id = `${peer.address}#${same + 1}`;
    upstream.servers.push(peer);
  }

  #method(d: Directive, upstream: UpstreamDraft, algorithm: AlgorithmDefinition): void {
    if (upstream.method)
      throw fail(
        d,
        `upstream "${upstream.name}" already balances with "${upstream.method.name}" (line ${upstream.method.line}): choose one`,
      );
    if (d.block !== null) throw fail(d, 'takes no block');
    if (d.args.length > algorithm.maxArgs)
      throw fail(d, `takes at most ${algorithm.maxArgs} argument${algorithm.maxArgs === 1 ? '' : 's'}, got ${d.args.length}`);
    const problem = algorithm.validate(d.args);
    if (problem) throw fail(d, problem);
    upstream.method = { name: algorithm.name, args: d.args, file: d.file, line: d.line };
  }

  #upstreamDirective(d: Directive, upstream: UpstreamDraft): void {
    switch (d.name) {
      case 'keepalive':
        if (upstream.keepalive !== null) throw fail(d, 'is duplicate');
        upstream.keepalive = positiveInt(d, d.args[0]);
        return;
      case 'keepalive_timeout':
        upstream.keepaliveTimeoutMs = time(d, d.args[0]);
        return;
      case 'keepalive_requests':
        upstream.keepaliveRequests = positiveInt(d, d.args[0]);
        return;
      case 'keepalive_time':
        upstream.keepaliveTimeMs = positiveTime(d, d.args[0]);
        return;
      case 'health_check':
        if (upstream.healthCheck) throw fail(d, 'is duplicate');
        upstream.healthCheck = this.#healthCheck(d);
        return;
      case 'queue':
        if (upstream.queue) throw fail(d, 'is duplicate');
        upstream.queue = queueConfig(d);
        return;
      case 'adaptive_concurrency':
        if (upstream.adaptive !== null) throw fail(d, 'is duplicate');
        upstream.adaptive = adaptiveConfig(d);
        return;
      case 'fail_on_read_timeout':
        if (upstream.failOnReadTimeout !== null) throw fail(d, 'is duplicate');
        upstream.failOnReadTimeout = flag(d, d.args[0]);
        return;
      case 'zone':
        if (upstream.zone !== null) throw fail(d, 'is duplicate');
        upstream.zone = this.#upstreamZone(d, upstream.name);
        return;
      default:
        throw fail(d, 'is not allowed in upstream { }');
    }
  }

  /**
   * `zone NAME [SIZE]`, as nginx: several upstreams may name one zone (the size given once
   * is enough; two different sizes conflict), a zone is at least 8 pages (32k), and a name is
   * one shared memory zone for one use (not also a limit_req_zone's).
   */
  #upstreamZone(d: Directive, upstream: string): UpstreamZoneConfig {
    const name = d.args[0];
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw fail(d, `"${name}" is not a zone name (letters, digits, "_", "-", ".")`);
    let sizeBytes: number | null = null;
    if (d.args[1] !== undefined) {
      const bytes = parseSize(d.args[1]);
      if (bytes === undefined) throw fail(d, `invalid zone size "${d.args[1]}" (e.g. 64k, 1m)`);
      if (bytes < MIN_ZONE_BYTES) throw fail(d, `zone "${name}" is too small: ${d.args[1]} (at least 32k, nginx's 8 pages)`);
      sizeBytes = bytes;
    }
    if (this.#zones.has(name)) throw fail(d, `zone "${name}" is already declared by limit_req_zone: give the upstream's zone another name`);
    const declared = this.#upstreamZones.get(name);
    if (declared !== undefined && sizeBytes !== null && declared.sizeBytes !== null && declared.sizeBytes !== sizeBytes)
      throw fail(d, `the size ${d.args[1]} of zone "${name}" conflicts with the size declared at ${declared.file}:${declared.line}`);
    const zone = { name, sizeBytes: sizeBytes ?? declared?.sizeBytes ?? null, file: d.file, line: d.line };
    if (declared === undefined || declared.sizeBytes === null) this.#upstreamZones.set(name, { ...zone, upstream });
    return zone;
  }

  #healthCheck(d: Directive): HealthCheckConfig {
    const check: HealthCheckConfig = {
      intervalMs: 5000,
      jitterMs: 0,
      fails: 1,
      passes: 1,
      uri: '/',
      port: 0,
      timeoutMs: 0,
      mandatory: false,
      file: d.file,
      line: d.line,
    };
    for (const parameter of d.args) {
      const [key, value] = splitParameter(parameter);
      switch (key) {
        case 'interval':
          check.intervalMs = time(d, value ?? '', 'interval');
          if (check.intervalMs < 100) throw fail(d, 'interval must be at least 100ms');
          break;
        case 'jitter':
          check.jitterMs = time(d, value ?? '', 'jitter');
          break;
        case 'fails':
          check.fails = positiveInt(d, value, 'fails');
          break;
        case 'passes':
          check.passes = positiveInt(d, value, 'passes');
          break;
        case 'uri':
          if (!value || !value.startsWith('/')) throw fail(d, `uri must start with "/", got "${value ?? ''}"`);
          check.uri = value;
          break;
        case 'port':
          check.port = positiveInt(d, value, 'port');
          if (check.port > 65535) throw fail(d, `port=${value} is not a port`);
          break;
        case 'timeout':
          check.timeoutMs = time(d, value ?? '', 'timeout');
          break;
        case 'mandatory':
          check.mandatory = true;
          break;
        case 'persistent':
          break;
        case 'match':
          throw fail(d, 'match= blocks are not supported: a check passes on any 2xx or 3xx status');
        default:
          throw fail(
            d,
            `unknown parameter "${parameter}" (supported: interval=T jitter=T fails=N passes=N uri=PATH port=N timeout=T mandatory)`,
          );
      }
    }
    // NGINX Plus bounds checks by the proxy timeouts (60 s by default); tenk by timeout= or 5 s.
    if (check.timeoutMs === 0) check.timeoutMs = 5000;
    return check;
  }

  #limitReqZone(d: Directive): void {
    const [keyText, ...parameters] = d.args;
    const key = this.#template(d, keyText).text;
    let name: string | null = null;
    let capacity = 0;
    let rate = 0;
    for (const parameter of parameters) {
      const [k, value] = splitParameter(parameter);
      if (k === 'zone') {
        const match = /^([A-Za-z0-9_-]+):(\w+)$/.exec(value ?? '');
        const size = match ? parseSize(match[2]) : undefined;
        if (!match || size === undefined) throw fail(d, `zone=${value ?? ''} must be NAME:SIZE, e.g. zone=per_ip:10m`);
        name = match[1];
        capacity = Math.max(16, Math.floor(size / 128));
      } else if (k === 'rate') {
        const parsed = parseRate(value ?? '');
        if (parsed === undefined) throw fail(d, `rate=${value ?? ''} must be like 10r/s or 30r/m`);
        rate = parsed;
      } else if (k === 'sync') {
        throw fail(d, '"sync" is an NGINX Plus parameter that tenk does not support');
      } else {
        throw fail(d, `unknown parameter "${parameter}" (write limit_req_zone KEY zone=NAME:SIZE rate=R;)`);
      }
    }
    if (name === null) throw fail(d, 'needs zone=NAME:SIZE');
    if (rate === 0) throw fail(d, 'needs rate=R, e.g. rate=10r/s');
    const existing = this.#zones.get(name);
    if (existing) throw fail(d, `zone "${name}" is duplicate (first at ${existing.file}:${existing.line})`);
    const upstreamZone = this.#upstreamZones.get(name);
    if (upstreamZone)
      throw fail(
        d,
        `zone "${name}" is already declared by upstream "${upstreamZone.upstream}" at ${upstreamZone.file}:${upstreamZone.line}: give it another name`,
      );
    this.#zones.set(name, { name, key, rate, capacity, file: d.file, line: d.line });
  }

  // ---- settings shared by http, server and location -----------------------------------------

  #setting(d: Directive, settings: Partial<HttpSettings>, context: Context): void {
    const once = <K extends keyof HttpSettings>(key: K, value: HttpSettings[K]): void => {
      if (settings[key] !== undefined) throw fail(d, 'is duplicate');
      settings[key] = value;
    };
    const a = d.args;
    switch (d.name) {
      case 'client_max_body_size':
        return once('clientMaxBodySize', size(d, a[0]));
      case 'client_body_buffer_size':
        return once('clientBodyBufferSize', size(d, a[0]));
      case 'client_body_timeout':
        return once('clientBodyTimeoutMs', time(d, a[0]));
      case 'client_header_timeout':
        return once('clientHeaderTimeoutMs', time(d, a[0]));
      case 'keepalive_timeout':
        return once('keepaliveTimeoutMs', time(d, a[0]));
      case 'keepalive_requests':
        return once('keepaliveRequests', positiveInt(d, a[0]));
      case 'keepalive_time':
        return once('keepaliveTimeMs', positiveTime(d, a[0]));
      case 'send_timeout':
        return once('sendTimeoutMs', time(d, a[0]));
      case 'large_client_header_buffers': {
        const count = positiveInt(d, a[0]);
        const bytes = size(d, a[1]);
        if (bytes < 1024) throw fail(d, `buffer size ${a[1]} is too small (at least 1k)`);
        return once('maxHeaderBytes', count * bytes);
      }
      case 'proxy_connect_timeout':
        return once('proxyConnectTimeoutMs', positiveTime(d, a[0]));
      case 'proxy_read_timeout':
        return once('proxyReadTimeoutMs', positiveTime(d, a[0]));
      case 'proxy_send_timeout':
        return once('proxySendTimeoutMs', positiveTime(d, a[0]));
      case 'proxy_next_upstream': {
        const flags = parseNextUpstream(a);
        if (typeof flags === 'string') throw fail(d, flags);
        return once('proxyNextUpstream', flags);
      }
      case 'proxy_next_upstream_tries':
        return once('proxyNextUpstreamTries', nonNegativeInt(d, a[0]));
      case 'proxy_next_upstream_timeout':
        return once('proxyNextUpstreamTimeoutMs', time(d, a[0]));
      case 'proxy_set_header': {
        const list = (settings.proxySetHeaders ??= []);
        const key = headerName(d, a[0]);
        if (list.some((header) => header.key === key)) throw fail(d, `"${a[0]}" is already set at this level`);
        list.push({ name: a[0], key, value: this.#template(d, a[1]).text });
        return;
      }
      case 'proxy_hide_header':
        (settings.proxyHideHeaders ??= []).push(headerName(d, a[0]));
        return;
      case 'add_header': {
        if (a[2] !== undefined && a[2] !== 'always') throw fail(d, `unknown parameter "${a[2]}" (only "always")`);
        (settings.addHeaders ??= []).push({
          name: a[0],
          key: headerName(d, a[0]),
          value: this.#template(d, a[1]).text,
          always: a[2] === 'always',
        });
        return;
      }
      case 'limit_req':
        (settings.limitReq ??= []).push(this.#limitReq(d));
        return;
      case 'limit_req_status': {
        const code = nonNegativeInt(d, a[0]);
        if (code < 400 || code > 599) throw fail(d, `must be between 400 and 599, got ${code}`);
        return once('limitReqStatus', code);
      }
      case 'limit_req_dry_run':
        return once('limitReqDryRun', flag(d, a[0]));
      case 'root':
        if (context === 'location' && settings.alias !== undefined) throw fail(d, 'cannot be used together with "alias" in one location');
        return once('root', path.resolve(this.#prefix, a[0]));
      case 'index':
        return once('index', a);
      case 'try_files': {
        const fallback = a[a.length - 1];
        const code = /^=(\d{3})$/.exec(fallback);
        if (!code && !fallback.startsWith('/'))
          throw fail(
            d,
            `the last argument "${fallback}" must be =CODE (e.g. =404) or a URI such as /index.html (named @locations are not supported)`,
          );
        for (const file of a.slice(0, -1)) this.#template(d, file);
        return once('tryFiles', { files: a.slice(0, -1), fallback: code ? { code: Number(code[1]) } : { uri: fallback } });
      }
      case 'expires': {
        const value = a[0];
        if (value === 'off' || value === 'epoch' || value === 'max') return once('expires', { kind: value });
        return once('expires', { kind: 'after', ms: time(d, value.replace(/^modified\s+/, '')) });
      }
      case 'etag':
        return once('etag', flag(d, a[0]));
      case 'default_type':
        return once('defaultType', a[0]);
      case 'types': {
        const types: Record<string, string> = {};
        for (const entry of d.block ?? []) {
          if (entry.block !== null || entry.args.length === 0) throw fail(entry, 'in types { } write: media/type ext1 ext2;');
          for (const extension of entry.args) types[extension.toLowerCase()] = entry.name;
        }
        return once('types', types);
      }
      case 'access_log':
        return once('accessLog', this.#accessLog(d));
      case 'set_real_ip_from': {
        const source = a[0];
        if (source.startsWith('unix:')) throw fail(d, '"unix:" is not supported: tenk listens on TCP only');
        const [address, bits, extra] = source.split('/');
        const family = isIP(address);
        const max = family === 6 ? 128 : 32;
        if (family === 0 || extra !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
          throw fail(d, `"${source}" is not an address or CIDR (e.g. 10.0.0.0/8, 192.0.2.7, fd00::/8); host names are not supported`);
        }
        (settings.setRealIpFrom ??= []).push(source);
        return;
      }
      case 'real_ip_header': {
        if (a[0].toLowerCase() === 'proxy_protocol') {
          throw fail(
            d,
            'proxy_protocol is not supported: tenk does not read the PROXY protocol (listen ... proxy_protocol); use X-Forwarded-For or X-Real-IP',
          );
        }
        return once('realIpHeader', headerName(d, a[0]) && a[0]);
      }
      case 'real_ip_recursive':
        return once('realIpRecursive', flag(d, a[0]));
      case 'proxy_intercept_errors':
        return once('proxyInterceptErrors', flag(d, a[0]));
      case 'error_page': {
        const target = a[a.length - 1];
        const words = a.slice(0, -1);
        let status: ErrorPageConfig['status'] = null;
        const last = words[words.length - 1];
        if (last.startsWith('=')) {
          words.pop();
          if (last === '=') status = 'target';
          else {
            const code = parseNonNegativeInt(last.slice(1));
            if (code === undefined || code < 100 || code > 599) throw fail(d, `"${last}" is not =CODE (e.g. =200)`);
            status = code;
          }
        }
        if (words.length === 0) throw fail(d, 'needs at least one status code: error_page 502 503 /50x.html;');
        const codes = words.map((word) => {
          const code = parseNonNegativeInt(word);
          if (code === undefined || code < 300 || code > 599) throw fail(d, `"${word}" must be a status code between 300 and 599`);
          return code;
        });
        if (!target.startsWith('/') && !target.startsWith('@') && !/^(https?:\/\/|\$scheme)/.test(target)) {
          throw fail(d, `"${target}" must be a URI (/50x.html), a named location (@fallback) or a URL (https://...)`);
        }
        this.#template(d, target);
        (settings.errorPages ??= []).push({ codes, status, target });
        return;
      }
      default:
        throw fail(d, `is not allowed in ${describeContext(context)}`);
    }
  }

  #limitReq(d: Directive): HttpSettings['limitReq'][number] {
    let zone: string | null = null;
    let burst = 0;
    let delay = 0;
    for (const parameter of d.args) {
      const [key, value] = splitParameter(parameter);
      if (key === 'zone') zone = value ?? '';
      else if (key === 'burst') burst = positiveInt(d, value, 'burst');
      else if (key === 'nodelay') delay = Number.POSITIVE_INFINITY;
      else if (key === 'delay') delay = nonNegativeInt(d, value, 'delay');
      else throw fail(d, `unknown parameter "${parameter}" (write limit_req zone=NAME [burst=N] [nodelay | delay=N];)`);
    }
    if (!zone) throw fail(d, 'needs zone=NAME (a zone declared with limit_req_zone)');
    return { zone, burst, delay, file: d.file, line: d.line };
  }

  #accessLog(d: Directive): AccessLogSetting {
    if (d.args[0] === 'off') {
      if (d.args.length > 1) throw fail(d, '"off" takes no other arguments');
      return { target: { kind: 'off' }, format: 'json', condition: null, bufferBytes: 0, flushMs: 0 };
    }
    const setting: AccessLogSetting = { ...DEFAULT_SETTINGS.accessLog, target: this.#logTarget(d, d.args[0]) };
    d.args.slice(1).forEach((parameter, index) => {
      const [key, value] = splitParameter(parameter);
      if (key === 'buffer') setting.bufferBytes = size(d, value ?? '');
      else if (key === 'flush') setting.flushMs = positiveTime(d, value ?? '');
      else if (key === 'if') setting.condition = this.#template(d, value ?? '').text;
      else if (key === 'gzip') throw fail(d, '"gzip" is not supported: compress rotated logs outside tenk');
      else if (index === 0 && value === undefined) {
        // The format: tenk's json, nginx's predefined combined, or a log_format declared before (nginx's rule).
        if (key === 'json' || key === 'combined') setting.format = key;
        else {
          const format = this.#logFormats.get(key);
          if (!format) {
            const guess = closest(key, ['json', 'combined', ...this.#logFormats.keys()]);
            throw fail(
              d,
              `unknown log format "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}: declare log_format ${key} ...; in http { } before it`,
            );
          }
          setting.format = format;
        }
      } else throw fail(d, `unknown parameter "${parameter}" (access_log PATH [FORMAT] [buffer=SIZE] [flush=TIME] [if=CONDITION])`);
    });
    return setting;
  }

  #logFormat(d: Directive): void {
    const [name, ...rest] = d.args;
    if (name === 'combined' || name === 'json') throw fail(d, `"${name}" is predefined: choose another name`);
    const existing = this.#logFormats.get(name);
    if (existing) throw fail(d, `format "${name}" is duplicate (first at ${existing.file}:${existing.line})`);
    let escape: LogFormatConfig['escape'] = 'default';
    let strings = rest;
    if (rest[0]?.startsWith('escape=')) {
      const value = rest[0].slice('escape='.length);
      if (value !== 'default' && value !== 'json' && value !== 'none') throw fail(d, `escape=${value}: write escape=default, json or none`);
      escape = value;
      strings = rest.slice(1);
    }
    if (strings.length === 0) throw fail(d, `needs the format: log_format ${name} '$remote_addr "$request" $status';`);
    const text = strings.join('');
    this.#template(d, text);
    this.#logFormats.set(name, { name, escape, text, file: d.file, line: d.line });
  }

  #logTarget(d: Directive, text: string): LogTarget {
    if (text === 'off') return { kind: 'off' };
    if (text === 'stdout' || text === '/dev/stdout') return { kind: 'stdout' };
    if (text === 'stderr' || text === '/dev/stderr') return { kind: 'stderr' };
    if (text.startsWith('syslog:')) throw fail(d, 'syslog is not supported: log to stdout and let the supervisor collect it');
    return { kind: 'file', path: path.resolve(this.#prefix, text) };
  }

  #template(d: Directive, text: string): Template {
    try {
      return new Template(text);
    } catch (error) {
      if (isTemplateError(error)) throw fail(d, error.message);
      throw error;
    }
  }

  // ---- finishing ---------------------------------------------------------------------------

  #finishServer(server: ServerDraft, http: HttpSettings): ServerConfig {
    const serverSettings = merge(http, server.settings);
    const locations: LocationConfig[] = server.locations.map((location) => {
      const settings = merge(serverSettings, location.settings);
      for (const rule of settings.limitReq) {
        if (!this.#zones.has(rule.zone)) {
          throw new ConfigError(
            { file: rule.file, line: rule.line, directive: 'limit_req' },
            `zone "${rule.zone}" is not declared: add limit_req_zone KEY zone=${rule.zone}:10m rate=R; in http { }`,
          );
        }
      }
      return {
        match: location.match,
        ifs: location.ifs,
        label: location.label,
        handler: this.#handler(location, settings),
        settings,
        file: location.directive.file,
        line: location.directive.line,
      };
    });
    const named = new Set(locations.flatMap((location) => (location.match.kind === 'named' ? [location.match.path] : [])));
    for (const location of [{ settings: serverSettings, file: server.directive.file, line: server.directive.line }, ...locations]) {
      for (const page of location.settings.errorPages) {
        if (page.target.startsWith('@') && !named.has(page.target)) {
          throw new ConfigError(
            { file: location.file, line: location.line, directive: 'error_page' },
            `named location "${page.target}" is not defined in this server: add location ${page.target} { ... }`,
          );
        }
      }
    }
    return {
      listens: server.listens,
      names: server.names,
      serverReturn: server.serverReturn,
      locations,
      settings: serverSettings,
      file: server.directive.file,
      line: server.directive.line,
    };
  }

  #handler(location: LocationDraft, settings: HttpSettings): LocationHandler {
    const d = location.directive;
    if (location.proxyPass && location.ret) throw fail(d, `"${location.label}" has both proxy_pass and return: keep one`);
    if (location.healthCheck && !location.proxyPass) throw fail(d, `"${location.label}" has health_check but no proxy_pass to check`);
    if (location.ret) return location.ret;
    if (location.proxyPass) {
      const { directive, ...proxy } = location.proxyPass;
      if (proxy.hostTemplate) {
        if (location.healthCheck) throw fail(d, `"${location.label}": health_check needs a named upstream (put it in the upstream blocks)`);
        if (this.#upstreams.size === 0) throw fail(directive, 'names its upstream with a variable, but there is no upstream block to find');
      } else this.#resolveUpstream(proxy, directive, location.healthCheck);
      return proxy;
    }
    if (settings.root === null && settings.alias === null) {
      throw fail(
        d,
        `"${location.label}" has nothing to serve: add proxy_pass http://UPSTREAM;, return CODE;, or root/alias for static files`,
      );
    }
    return { kind: 'static' };
  }

  /** Checks proxy_pass names an upstream, or makes a one-peer upstream for http://HOST:PORT. */
  #resolveUpstream(proxy: ProxyPassConfig, d: Directive, healthCheck: HealthCheckConfig | null): void {
    let upstream = this.#upstreams.get(proxy.upstream);
    if (!upstream) {
      const address = parseServerAddress(proxy.upstream);
      if (!address || (!proxy.upstream.includes(':') && !proxy.upstream.includes('.'))) {
        const guess = closest(proxy.upstream, [...this.#upstreams.keys()]);
        throw fail(
          d,
          `no upstream named "${proxy.upstream}"${guess ? ` (did you mean "${guess}"?)` : ''}: declare upstream ${proxy.upstream} { server HOST:PORT; } or write http://HOST:PORT`,
        );
      }
      upstream = {
        name: proxy.upstream,
        file: d.file,
        line: d.line,
        method: null,
        servers: [
          {
            ...address,
            address: proxy.upstream,
            id: proxy.upstream,
            weight: 1,
            maxFails: 1,
            failTimeoutMs: 10_000,
            maxConns: 0,
            backup: false,
            down: false,
            file: d.file,
            line: d.line,
          },
        ],
        keepalive: null,
        keepaliveTimeoutMs: null,
        keepaliveRequests: null,
        keepaliveTimeMs: null,
        healthCheck: null,
        failOnReadTimeout: null,
        queue: null,
        zone: null,
        adaptive: null,
        implicit: true,
      };
      this.#upstreams.set(proxy.upstream, upstream);
    }
    if (healthCheck) {
      if (upstream.healthCheck && upstream.healthCheck !== healthCheck) {
        throw fail(d, `upstream "${upstream.name}" already has a health_check (${upstream.healthCheck.file}:${upstream.healthCheck.line})`);
      }
      upstream.healthCheck = healthCheck;
    }
  }

  #finishUpstreams(servers: ServerConfig[]): UpstreamConfig[] {
    const connectTimeouts = new Map<string, number>();
    for (const server of servers) {
      for (const location of server.locations) {
        if (location.handler.kind !== 'proxy') continue;
        const name = location.handler.upstream;
        connectTimeouts.set(name, Math.max(connectTimeouts.get(name) ?? 0, location.settings.proxyConnectTimeoutMs));
      }
    }
    return [...this.#upstreams.values()].map((upstream) => ({
      name: upstream.name,
      file: upstream.file,
      line: upstream.line,
      method: upstream.method ?? { name: 'round_robin', args: [], file: upstream.file, line: upstream.line },
      servers: upstream.servers,
      keepalive: upstream.keepalive,
      keepaliveTimeoutMs: upstream.keepaliveTimeoutMs ?? DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_MS,
      keepaliveRequests: upstream.keepaliveRequests ?? DEFAULT_UPSTREAM_KEEPALIVE_REQUESTS,
      keepaliveTimeMs: upstream.keepaliveTimeMs ?? DEFAULT_KEEPALIVE_TIME_MS,
      connectTimeoutMs: connectTimeouts.get(upstream.name) ?? DEFAULT_SETTINGS.proxyConnectTimeoutMs,
      healthCheck: upstream.healthCheck,
      failOnReadTimeout: upstream.failOnReadTimeout ?? false,
      queue: upstream.queue,
      zone: upstream.zone,
      adaptive: upstream.adaptive || null,
      implicit: upstream.implicit,
    }));
  }

  #checkListeners(servers: ServerConfig[]): void {
    const defaults = new Map<string, ListenConfig>();
    for (const server of servers) {
      for (const listen of server.listens) {
        const key = formatHostPort(listen);
        if (listen.defaultServer) {
          const other = defaults.get(key);
          if (other)
            throw new ConfigError(
              { file: listen.file, line: listen.line, directive: 'listen' },
              `a default_server for ${key} is already defined at ${other.file}:${other.line}`,
            );
          defaults.set(key, listen);
        }
      }
      const seen = new Set<string>();
      for (const listen of server.listens) {
        const key = formatHostPort(listen);
        if (seen.has(key))
          throw new ConfigError({ file: listen.file, line: listen.line, directive: 'listen' }, `${key} is listed twice in this server`);
        seen.add(key);
      }
    }
  }
}

// ---- helpers -----------------------------------------------------------------------------------

function merge(base: HttpSettings, level: Partial<HttpSettings>): HttpSettings {
  const merged = { ...base };
  for (const key of Object.keys(level) as Array<keyof HttpSettings>) {
    if (level[key] !== undefined) (merged as Record<string, unknown>)[key] = level[key];
  }
  // root and alias exclude each other: the nearer level wins.
  if (level.alias !== undefined) merged.root = null;
  else if (level.root !== undefined) merged.alias = null;
  return merged;
}

function locationMatch(d: Directive): { match: LocationMatch; label: string } {
  const [first, second] = d.args;
  const label = `location ${d.args.join(' ')}`;
  if (d.args.length === 1) {
    if (first.startsWith('@')) return { match: { kind: 'named', path: first }, label };
    if (first.startsWith('=') && first.length > 1) return { match: { kind: 'exact', path: first.slice(1) }, label };
    if (first === '=' || first === '~' || first === '~*' || first === '^~') throw fail(d, `"${first}" needs a path after it`);
    return { match: { kind: 'prefix', path: first, stopRegex: false }, label };
  }
  switch (first) {
    case '=':
      return { match: { kind: 'exact', path: second }, label };
    case '^~':
      return { match: { kind: 'prefix', path: second, stopRegex: true }, label };
    case '~':
    case '~*':
      try {
        new RegExp(second);
      } catch (error) {
        throw fail(d, `"${second}" is not a valid regular expression: ${(error as Error).message}`);
      }
      return { match: { kind: 'regex', path: second, caseInsensitive: first === '~*' }, label };
    default:
      throw fail(d, `unknown modifier "${first}" (use =, ^~, ~ or ~*)`);
  }
}

function fail(d: Directive, problem: string): ConfigError {
  return new ConfigError({ file: d.file, line: d.line, directive: d.name }, problem);
}

function splitParameter(parameter: string): [string, string | undefined] {
  const equals = parameter.indexOf('=');
  return equals === -1 ? [parameter, undefined] : [parameter.slice(0, equals), parameter.slice(equals + 1)];
}

function time(d: Directive, text: string, name?: string): number {
  const value = parseTime(text);
  if (value === undefined) throw fail(d, `${name ? `${name}=` : ''}"${text}" is not a time (e.g. 500ms, 5s, 1m; a bare number is seconds)`);
  return value;
}

function positiveTime(d: Directive, text: string): number {
  const value = time(d, text);
  if (value === 0) throw fail(d, 'must be greater than 0');
  return value;
}

function size(d: Directive, text: string): number {
  const value = parseSize(text);
  if (value === undefined) throw fail(d, `"${text}" is not a size (e.g. 512, 8k, 1m, 1g; 0 means unlimited where allowed)`);
  return value;
}

/** nginx's smallest shared memory zone: 8 pages of 4 KiB. */
const MIN_ZONE_BYTES = 32 * 1024;
/** More workers than this is a typo, not a machine: refused rather than forking them. */
const MAX_WORKER_PROCESSES = 256;

/** `worker_processes N | auto` (auto: one per core, as nginx). */
function workerProcesses(d: Directive, text: string): number {
  if (text === 'auto') return availableParallelism();
  const value = parsePositiveInt(text);
  if (value === undefined) throw fail(d, `"${text}" must be a whole number greater than 0, or auto (one per core)`);
  if (value > MAX_WORKER_PROCESSES)
    throw fail(d, `"${text}" is more than ${MAX_WORKER_PROCESSES} workers: use auto (one per core) or a smaller number`);
  return value;
}

function positiveInt(d: Directive, text: string | undefined, name?: string): number {
  const value = parsePositiveInt(text ?? '');
  if (value === undefined) throw fail(d, `${name ? `${name}=` : ''}"${text ?? ''}" must be a whole number greater than 0`);
  return value;
}

function nonNegativeInt(d: Directive, text: string | undefined, name?: string): number {
  const value = parseNonNegativeInt(text ?? '');
  if (value === undefined) throw fail(d, `${name ? `${name}=` : ''}"${text ?? ''}" must be a whole number (0 or more)`);
  return value;
}

/** NGINX Plus: `queue number [timeout=time]`, timeout 60s by default. */
function queueConfig(d: Directive): QueueConfig {
  const size = positiveInt(d, d.args[0]);
  let timeoutMs = 60_000;
  if (d.args.length === 2) {
    const [key, value] = splitParameter(d.args[1]);
    if (key !== 'timeout') throw fail(d, `unknown parameter "${d.args[1]}" (queue N [timeout=T];)`);
    timeoutMs = time(d, value ?? '', 'timeout');
    if (timeoutMs <= 0) throw fail(d, 'timeout must be more than 0');
  }
  return { size, timeoutMs, file: d.file, line: d.line };
}

/**
 * `adaptive_concurrency target=T [min=N]` (tenk's own): each server's limit of requests in
 * flight moves under its max_conns, down when its responses take longer than T on average,
 * up while they are faster and the limit is in use. `adaptive_concurrency off`: none.
 */
function adaptiveConfig(d: Directive): AdaptiveConfig | false {
  if (d.args.length === 1 && d.args[0] === 'off') return false;
  let targetMs = 0;
  let min = 2;
  for (const arg of d.args) {
    const [key, value] = splitParameter(arg);
    if (key === 'target') targetMs = time(d, value ?? '', 'target');
    else if (key === 'min') min = positiveInt(d, value, 'min');
    else throw fail(d, `unknown parameter "${arg}" (adaptive_concurrency target=T [min=N]; or adaptive_concurrency off;)`);
  }
  if (targetMs <= 0) throw fail(d, 'needs target=T, the mean response time to keep each server under (e.g. target=100ms)');
  return { targetMs, min, file: d.file, line: d.line };
}

function flag(d: Directive, text: string): boolean {
  const value = parseFlag(text);
  if (value === undefined) throw fail(d, `"${text}" must be on or off`);
  return value;
}

function headerName(d: Directive, name: string): string {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw fail(d, `"${name}" is not a valid header name`);
  return name.toLowerCase();
}

function describeContext(context: Context): string {
  return context === 'main' ? 'the top level' : `${context} { }`;
}

/** A public listener on the admin listener's port (same address space) is an error: the admin API must never be public. */
export function checkAdminClash(servers: readonly ServerConfig[], admin: ListenConfig | null, why: string): void {
  if (admin === null) return;
  for (const server of servers) {
    for (const listen of server.listens) {
      if (listen.port === admin.port && listen.port !== 0 && sameHostSpace(listen.host, admin.host)) {
        throw new ConfigError(
          { file: listen.file, line: listen.line, directive: 'listen' },
          `port ${listen.port} is also the admin listener's (admin_listen ${admin.text})${why}: the admin API must never be reachable through a public listener; use another port`,
        );
      }
    }
  }
}

/** 0.0.0.0 and :: overlap every address of their family (and :: usually both). */
function sameHostSpace(a: string, b: string): boolean {
  const any = (host: string) => host === '0.0.0.0' || host === '::';
  return a === b || any(a) || any(b);
}

/** The known name nearest to a typo (edit distance <= 3), for "did you mean". */
export function closest(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 4;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
