import type { ErrorPageConfig, LocationConfig } from '../config/schema';
import { ResponseHeaderPlan, RequestHeaderPlan } from '../http/header-plans';
import type { RateLimitZone } from '../http/rate-limit';
import { NextUpstream } from '../http/next-upstream';
import { LocationIfs } from '../http/location-ifs';
import { RealIp } from '../http/real-ip';
import { Template } from '../http/variables';
import type { AccessLog } from '../observability/access-log';
import type { LimitReqRule } from '../config/schema';
import type { Upstream } from '../upstream/upstream';
import type { RuntimeServer } from './generation';

export interface ActiveLimit {
  zone: RateLimitZone;
  rule: LimitReqRule;
}

/**
 * A location ready to serve: its settings flattened into fields the hot path reads
 * directly, its header plans compiled and its upstream, zones and log resolved.
 */
export class RuntimeLocation {
  readonly config: LocationConfig;
  readonly kind: 'proxy' | 'return' | 'static';
  readonly upstream: Upstream | null;
  /** proxy_pass URI part, replacing `prefix` in the request path (null: path unchanged). */
  readonly proxyUri: string | null;
  /** `proxy_pass http://$name`: the upstream's name per request (null: `upstream` is fixed). */
  readonly proxyHostTemplate: Template | null;
  /** With variables in proxy_pass: the request URI sent upstream, whole (null: upstreamPath's rules). */
  readonly proxyUriTemplate: Template | null;
  /** The generation's upstreams, for proxyHostTemplate. */
  readonly upstreams: ReadonlyMap<string, Upstream> | null;
  /** The location's path, for proxy_pass URI replacement and alias. */
  readonly prefix: string;
  /** A regex location's regex ($1 ... $9 come from it), else null. */
  readonly regex: RegExp | null;
  readonly requestHeaders: RequestHeaderPlan;
  readonly responseHeaders: ResponseHeaderPlan;
  readonly limits: readonly ActiveLimit[];
  readonly limitStatus: number;
  readonly limitDryRun: boolean;
  readonly accessLog: AccessLog | null;
  readonly maxBodySize: number;
  readonly bodyBufferSize: number;
  readonly clientBodyTimeoutMs: number;
  readonly sendTimeoutMs: number;
  /** The server block it belongs to (set by RuntimeServer), for error_page's redirects. */
  server: RuntimeServer | null = null;
  /** error_page by status (null: none). */
  readonly errorPages: ReadonlyMap<number, ErrorPageConfig> | null;
  /** proxy_intercept_errors. */
  readonly interceptErrors: boolean;
  /** `if (...) { return ...; }` blocks (null: none). */
  readonly ifs: LocationIfs | null;
  /** set_real_ip_from & co.: where the client's address comes from (null: the peer's). */
  readonly realIp: RealIp | null;
  /** keepalive_time: the client connection closes after a request once it is this old. */
  readonly keepaliveTimeMs: number;
  readonly readTimeoutMs: number;
  readonly nextUpstream: number;
  readonly nextUpstreamRetriesNonIdempotent: boolean;
  readonly nextUpstreamTries: number;
  readonly nextUpstreamTimeoutMs: number;
  readonly returnCode: number;
  readonly returnText: Template | null;
  /** try_files candidates, compiled (the fallback stays in settings.tryFiles). */
  readonly tryFiles: readonly Template[];

  constructor(
    config: LocationConfig,
    upstream: Upstream | null,
    limits: readonly ActiveLimit[],
    accessLog: AccessLog | null,
    upstreams: ReadonlyMap<string, Upstream> | null = null,
  ) {
    const settings = config.settings;
    this.config = config;
    this.kind = config.handler.kind;
    this.upstream = upstream;
    this.proxyUri = config.handler.kind === 'proxy' ? config.handler.uri : null;
    const handler = config.handler;
    this.proxyHostTemplate = handler.kind === 'proxy' && handler.hostTemplate ? new Template(handler.hostTemplate) : null;
    this.proxyUriTemplate = handler.kind === 'proxy' && handler.uriTemplate ? new Template(handler.uriTemplate) : null;
    this.upstreams = this.proxyHostTemplate === null ? null : upstreams;
    this.prefix = config.match.kind === 'regex' ? '' : config.match.path;
    this.regex = config.match.kind === 'regex' ? new RegExp(config.match.path, config.match.caseInsensitive ? 'i' : '') : null;
    this.requestHeaders = new RequestHeaderPlan(settings.proxySetHeaders);
    this.responseHeaders = new ResponseHeaderPlan(settings.proxyHideHeaders, settings.addHeaders);
    this.limits = limits;
    this.limitStatus = settings.limitReqStatus;
    this.limitDryRun = settings.limitReqDryRun;
    this.accessLog = accessLog;
    this.maxBodySize = settings.clientMaxBodySize;
    this.bodyBufferSize = settings.clientBodyBufferSize;
    this.clientBodyTimeoutMs = settings.clientBodyTimeoutMs;
    this.sendTimeoutMs = settings.sendTimeoutMs;
    this.keepaliveTimeMs = settings.keepaliveTimeMs;
    this.ifs = config.ifs.length === 0 ? null : new LocationIfs(config.ifs);
    const pages = new Map<number, ErrorPageConfig>();
    for (const page of settings.errorPages) for (const code of page.codes) if (!pages.has(code)) pages.set(code, page);
    this.errorPages = pages.size === 0 ? null : pages;
    this.interceptErrors = settings.proxyInterceptErrors;
    this.realIp =
      settings.setRealIpFrom.length === 0
        ? null
        : new RealIp({ from: settings.setRealIpFrom, header: settings.realIpHeader, recursive: settings.realIpRecursive });
    this.readTimeoutMs = settings.proxyReadTimeoutMs;
    this.nextUpstream = settings.proxyNextUpstream;
    this.nextUpstreamRetriesNonIdempotent = (settings.proxyNextUpstream & NextUpstream.non_idempotent) !== 0;
    this.nextUpstreamTries = settings.proxyNextUpstreamTries;
    this.nextUpstreamTimeoutMs = settings.proxyNextUpstreamTimeoutMs;
    this.returnCode = config.handler.kind === 'return' ? config.handler.code : 0;
    this.returnText = config.handler.kind === 'return' && config.handler.text !== null ? new Template(config.handler.text) : null;
    this.tryFiles = (settings.tryFiles?.files ?? []).map((file) => new Template(file));
  }

  get settings(): LocationConfig['settings'] {
    return this.config.settings;
  }
}
