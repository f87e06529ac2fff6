import type { BalancerConfig, ListenConfig, LogTarget, ServerConfig } from '../config/schema';
import { formatHostPort } from '../config/values';
import { LocationRouter } from '../http/location-router';
import { RateLimitZone } from '../http/rate-limit';
import { Template } from '../http/variables';
import { AccessLog } from '../observability/access-log';
import { LogSink, sinkKey } from '../observability/log-sink';
import type { Logger } from '../observability/logger';
import { HealthChecker } from '../upstream/health-checker';
import type { SharedPeerBook } from '../upstream/shared-book';
import { Upstream } from '../upstream/upstream';
import { RuntimeLocation, type ActiveLimit } from './runtime-location';

/** A server block ready to route. */
export class RuntimeServer {
  readonly config: ServerConfig;
  readonly router: LocationRouter<RuntimeLocation>;
  readonly locations: readonly RuntimeLocation[];
  readonly serverReturn: { code: number; text: Template | null } | null;

  /** Named locations (`location @name`), reached only by error_page. */
  readonly named: ReadonlyMap<string, RuntimeLocation>;

  constructor(config: ServerConfig, locations: RuntimeLocation[]) {
    this.config = config;
    this.locations = locations;
    this.named = new Map(
      locations.flatMap((location) => (location.config.match.kind === 'named' ? [[location.config.match.path, location]] : [])),
    );
    for (const location of locations) location.server = this;
    this.router = new LocationRouter(locations.map((location) => ({ match: location.config.match, value: location })));
    this.serverReturn =
      config.serverReturn === null
        ? null
        : { code: config.serverReturn.code, text: config.serverReturn.text === null ? null : new Template(config.serverReturn.text) };
  }
}

/**
 * The servers sharing one listening address, and how a request picks one: by Host among
 * their server_names (exact, then `*.suffix`/`.suffix`, then `prefix.*`), else the
 * default_server (or the first).
 */
export class ListenerRoute {
  readonly key: string;
  readonly listen: ListenConfig;
  readonly servers: readonly RuntimeServer[];
  readonly defaultServer: RuntimeServer;
  /** The only server: no Host lookup needed (the common case). */
  readonly single: RuntimeServer | null;
  readonly #exact = new Map<string, RuntimeServer>();
  readonly #wildcards: Array<{ name: string; server: RuntimeServer }> = [];

  constructor(key: string, listen: ListenConfig, servers: RuntimeServer[]) {
    this.key = key;
    this.listen = listen;
    this.servers = servers;
    this.defaultServer =
      servers.find((server) => server.config.listens.some((l) => formatHostPort(l) === key && l.defaultServer)) ?? servers[0];
    this.single = servers.length === 1 ? servers[0] : null;
    for (const server of servers) {
      for (const name of server.config.names) {
        if (name.startsWith('*') || name.startsWith('.') || name.endsWith('.*')) this.#wildcards.push({ name, server });
        else if (!this.#exact.has(name)) this.#exact.set(name, server);
      }
    }
  }

  serverFor(host: string): RuntimeServer {
    if (this.single !== null) return this.single;
    const exact = this.#exact.get(host);
    if (exact !== undefined) return exact;
    for (const { name, server } of this.#wildcards) {
      if (name.startsWith('*.') && host.endsWith(name.slice(1))) return server;
      if (name.startsWith('.') && (host === name.slice(1) || host.endsWith(name))) return server;
      if (name.endsWith('.*') && host.startsWith(name.slice(0, -1))) return server;
    }
    return this.defaultServer;
  }
}

/**
 * Everything built from one configuration load: upstreams (with pools and health checks),
 * rate limit zones, servers and their locations, grouped by listening address. A reload
 * builds a new Generation from the previous one (keeping peers, pools, zone buckets and log
 * files that did not change) and swaps it in with one assignment: requests already running
 * finish on the objects they started with.
 */
export class Generation {
  readonly config: BalancerConfig;
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly zones: ReadonlyMap<string, RateLimitZone>;
  readonly routes: ReadonlyMap<string, ListenerRoute>;
  readonly healthCheckers: readonly HealthChecker[];
  readonly sinks: ReadonlyMap<string, LogSink>;

  /** `book`: with several workers, where zoned upstreams share peer state (cluster/zone-sync.ts); null in one process. */
  constructor(config: BalancerConfig, previous: Generation | null, logger: Logger, book: SharedPeerBook | null = null) {
    this.config = config;
    const sinks = new Map<string, LogSink>();
    const sinkFor = (target: LogTarget): LogSink => {
      const key = sinkKey(target);
      let sink = sinks.get(key) ?? previous?.sinks.get(key);
      if (sink === undefined) sink = new LogSink(target);
      sinks.set(key, sink);
      return sink;
    };

    const upstreams = new Map<string, Upstream>();
    for (const upstreamConfig of config.upstreams) {
      upstreams.set(upstreamConfig.name, new Upstream(upstreamConfig, previous?.upstreams.get(upstreamConfig.name) ?? null, logger, book));
    }
    this.upstreams = upstreams;

    const zones = new Map<string, RateLimitZone>();
    for (const zoneConfig of config.limitReqZones) {
      const kept = previous?.zones.get(zoneConfig.name);
      if (kept && kept.key.text === zoneConfig.key) {
        kept.reconfigure(zoneConfig);
        zones.set(zoneConfig.name, kept);
      } else {
        zones.set(zoneConfig.name, new RateLimitZone(zoneConfig));
      }
    }
    this.zones = zones;

    const byAddress = new Map<string, { listen: ListenConfig; servers: RuntimeServer[] }>();
    for (const serverConfig of config.servers) {
      const locations = serverConfig.locations.map((locationConfig) => {
        const handler = locationConfig.handler;
        const upstream = handler.kind === 'proxy' ? (upstreams.get(handler.upstream) ?? null) : null;
        const limits: ActiveLimit[] = locationConfig.settings.limitReq.map((rule) => ({
          zone: zones.get(rule.zone) as RateLimitZone,
          rule,
        }));
        const logSetting = locationConfig.settings.accessLog;
        const accessLog = logSetting.target.kind === 'off' ? null : new AccessLog(sinkFor(logSetting.target), logSetting);
        return new RuntimeLocation(locationConfig, upstream, limits, accessLog, upstreams);
      });
      const server = new RuntimeServer(serverConfig, locations);
      for (const listen of serverConfig.listens) {
        const key = formatHostPort(listen);
        const entry = byAddress.get(key) ?? { listen, servers: [] };
        entry.servers.push(server);
        byAddress.set(key, entry);
      }
    }
    this.routes = new Map([...byAddress].map(([key, { listen, servers }]) => [key, new ListenerRoute(key, listen, servers)]));
    this.sinks = sinks;
    logger.useSink(sinkFor(config.errorLog));

    // A zoned upstream is checked by one worker, which shares the verdicts; otherwise each process checks its own.
    this.healthCheckers = [...upstreams.values()].flatMap((upstream) =>
      upstream.config.healthCheck && (upstream.shared === null || upstream.shared.runsHealthChecks(upstream))
        ? [new HealthChecker(upstream, upstream.config.healthCheck, logger)]
        : [],
    );
  }

  startHealthChecks(): void {
    for (const checker of this.healthCheckers) checker.start();
  }

  async stopHealthChecks(): Promise<void> {
    await Promise.all(this.healthCheckers.map((checker) => checker.stop()));
  }

  /** Closes pools of peers the next generation dropped, and log files it no longer writes. */
  async retire(next: Generation | null): Promise<void> {
    const kept = new Set<unknown>();
    for (const upstream of next?.upstreams.values() ?? []) for (const peer of upstream.peers) kept.add(peer.pool);
    const closing: Array<Promise<unknown>> = [];
    for (const upstream of this.upstreams.values()) {
      for (const peer of upstream.peers) {
        if (peer.pool !== null && !kept.has(peer.pool)) closing.push(peer.pool.close());
      }
    }
    for (const [key, sink] of this.sinks) {
      if (next?.sinks.get(key) !== sink) closing.push(sink.close());
      else sink.flush();
    }
    await Promise.all(closing);
  }
}
