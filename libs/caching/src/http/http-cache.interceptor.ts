import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor, StreamableFile } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { defer, lastValueFrom, type Observable } from 'rxjs';
import { PerRoute, PUBLIC_ROUTE } from '@tenk/observability';
import { notFoundError } from '../cache-entry';
import { cacheId, isValidTag } from '../cache-keys';
import type { LookupOutcome } from '../cache.metrics';
import { CacheService, type CacheLookup, type CacheResult } from '../cache.service';
import { readyBody } from './ready-body';
import { HTTP_CACHE, type CachedResponse, type HttpCacheOptions, type HttpCacheScope } from './http-cache.options';

const X_CACHE: Record<LookupOutcome, string> = { hit: 'HIT', stale: 'STALE', miss: 'MISS', coalesced: 'COALESCED', bypass: 'BYPASS' };

/** What a route's decorators say. */
interface RouteMetadata {
  options: HttpCacheOptions | undefined;
  isPublic: boolean;
  status: number;
}

/**
 * Replaces Nest's stock CacheInterceptor, which keys by URL alone, stores only the body and
 * runs the handler once per concurrent miss. This one keys by route + params + query (+ the
 * user on per-user routes), stores status, body and chosen headers through CacheService (so
 * misses coalesce, stale entries are refreshed in the background, Redis failures fail open),
 * sets Cache-Control, ETag, Age and X-Cache, and answers If-None-Match with 304.
 *
 * Subclass it and override the protected hooks to change what is cached and how it is keyed.
 */
@Injectable()
export class HttpCacheInterceptor implements NestInterceptor {
  readonly #routes = new PerRoute<RouteMetadata>((handler, controller) => ({
    options: this.reflector.getAllAndOverride<HttpCacheOptions | undefined>(HTTP_CACHE, [handler, controller]),
    isPublic: this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [handler, controller]) === true,
    status: this.reflector.get<number | undefined>(HTTP_CODE_METADATA, handler) ?? HttpStatus.OK,
  }));

  constructor(
    protected readonly cache: CacheService,
    protected readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const { options } = this.#routes.of(context);
    if (!options || !this.isRequestCacheable(context)) return next.handle();
    const scope = this.scopeOf(context, options);
    const id = scope && this.trackBy(context, scope);
    const tags = this.tagsOf(context, options);
    if (!scope || id === undefined || tags === undefined) return next.handle();

    const http = context.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const res = http.getResponse<FastifyReply>();
    const lookup: CacheLookup<CachedResponse> = {
      name: this.nameOf(context),
      id,
      tags,
      ttlMs: options.ttl,
      // Only strings in it, never changed: local hits share the entry (and its readyBody()).
      readOnly: true,
      load: () => this.#render(context, next, options, scope),
    };
    // The reply is made in the lookup's own continuation: no rxjs operator per request.
    return defer(() => this.cache.lookup(lookup).then((result) => this.#reply(req, res, result, options, scope)));
  }

  /** GET and HEAD over HTTP. */
  protected isRequestCacheable(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return false;
    const { method } = context.switchToHttp().getRequest<FastifyRequest>();
    return method === 'GET' || method === 'HEAD';
  }

  /** Shared or per user; undefined (not cached) for a per-user route without a signed-in user. */
  protected scopeOf(context: ExecutionContext, options: HttpCacheOptions): HttpCacheScope | undefined {
    const declared = options.scope ?? 'auto';
    const { isPublic } = this.#routes.of(context);
    const scope: HttpCacheScope = declared === 'auto' ? (isPublic ? 'shared' : 'user') : declared;
    if (scope === 'user' && userIdOf(context.switchToHttp().getRequest<FastifyRequest>()) === undefined) return undefined;
    return scope;
  }

  /** The entry id: params and query, sorted (`?b=2&a=1` and `?a=1&b=2` share it), and the user on per-user routes. */
  protected trackBy(context: ExecutionContext, scope: HttpCacheScope): string | undefined {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const params = new URLSearchParams(sortedPairs((req.params ?? {}) as Record<string, unknown>)).toString();
    const query = new URLSearchParams(sortedPairs(req.query as Record<string, unknown>)).toString();
    const user = scope === 'user' ? `|user=${userIdOf(req)}` : '';
    return cacheId(`${params}${query ? `?${query}` : ''}${user}`);
  }

  /** `GET /products/:id`: the route, not the URL, so metrics and keys stay few. */
  protected nameOf(context: ExecutionContext): string {
    const route = context.switchToHttp().getRequest<FastifyRequest>().routeOptions.url;
    return typeof route === 'string' ? `GET ${route}` : `GET ${context.getClass().name}.${context.getHandler().name}`;
  }

  /** The route's tags with `{param}` filled in; undefined (not cached) when a value cannot be a tag. */
  protected tagsOf(context: ExecutionContext, options: HttpCacheOptions): string[] | undefined {
    const params = (context.switchToHttp().getRequest<FastifyRequest>().params ?? {}) as Record<string, unknown>;
    const tags: string[] = [];
    for (const template of options.tags ?? []) {
      const tag = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        if (params[name] === undefined)
          throw new Error(`@HttpCache tag "${template}" names route parameter "${name}", which ${this.nameOf(context)} does not have`);
        return String(params[name]);
      });
      // A user-typed id such as "a b" cannot be a tag: that request just goes uncached.
      if (!isValidTag(tag)) return undefined;
      tags.push(tag);
    }
    return tags;
  }

  /** Cache-Control for a response of this route. */
  protected cacheControl(options: HttpCacheOptions, scope: HttpCacheScope): string {
    const maxAge = options.maxAge ?? 0;
    const visibility = scope === 'user' ? 'private' : 'public';
    return maxAge > 0 ? `${visibility}, max-age=${maxAge}` : `${visibility}, no-cache`;
  }

  async #render(context: ExecutionContext, next: CallHandler, options: HttpCacheOptions, scope: HttpCacheScope): Promise<CachedResponse> {
    const res = context.switchToHttp().getResponse<FastifyReply>();
    const body: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
    if (body instanceof StreamableFile || Buffer.isBuffer(body))
      throw new Error(`${this.nameOf(context)} returns a stream or buffer: @HttpCache stores JSON and text only`);
    if (scope === 'shared' && res.getHeader('set-cookie') !== undefined) {
      throw new Error(
        `${this.nameOf(context)} set a cookie, so its response is not the same for everyone: give its @HttpCache scope 'user', or do not cache it`,
      );
    }
    const headers: Record<string, string> = {};
    for (const name of options.headers ?? []) {
      const value = res.getHeader(name);
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    const json = typeof body === 'object' && body !== null;
    const text = json ? JSON.stringify(body) : body === undefined ? '' : String(body);
    return {
      status: this.#routes.of(context).status,
      type: json ? 'json' : 'text',
      body: text,
      headers,
      etag: `W/"${createHash('sha1').update(text).digest('base64url')}"`,
    };
  }

  #reply(
    req: FastifyRequest,
    res: FastifyReply,
    result: CacheResult<CachedResponse>,
    options: HttpCacheOptions,
    scope: HttpCacheScope,
  ): Buffer | string | undefined {
    const { entry, outcome } = result;
    res.header('X-Cache', X_CACHE[outcome]);
    if (entry.kind === 'not-found') {
      res.header('Cache-Control', 'no-cache');
      throw notFoundError(entry);
    }
    const response = entry.value;
    for (const [name, value] of Object.entries(response.headers)) res.header(name, value);
    res.header('ETag', response.etag);
    res.header('Cache-Control', this.cacheControl(options, scope));
    if (scope === 'user') varyOn(res, 'Cookie');
    if (outcome !== 'miss' && outcome !== 'bypass')
      res.header('Age', String(Math.max(0, Math.floor((Date.now() - entry.storedAt) / 1000))));
    if (matchesEtag(req.headers['if-none-match'], response.etag)) {
      res.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    res.status(response.status);
    // Sent as stored: a hit costs no JSON parse or stringify, and a JSON body goes out as the
    // bytes encoded once per stored entry (readyBody), which fastify writes as they are.
    if (response.type !== 'json') return response.body;
    res.header('Content-Type', 'application/json; charset=utf-8');
    return readyBody(response);
  }
}

/** Adds `name` to the response's Vary header (as Express's res.vary did), once. */
function varyOn(res: FastifyReply, name: string): void {
  const current = res.getHeader('vary');
  const names =
    typeof current === 'string'
      ? current
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
      : [];
  if (names.includes('*') || names.some((part) => part.toLowerCase() === name.toLowerCase())) return;
  res.header('Vary', [...names, name].join(', '));
}

function userIdOf(req: FastifyRequest): string | undefined {
  const id = (req as FastifyRequest & { user?: { id?: unknown } }).user?.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

function sortedPairs(values: Record<string, unknown>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const name of Object.keys(values).sort()) {
    const value = values[name];
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined) pairs.push([name, typeof item === 'string' ? item : JSON.stringify(item)]);
    }
  }
  return pairs;
}

/** Weak comparison (RFC 9110 13.1.2): `W/"x"` matches `"x"`; `*` matches anything. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return header.split(',').some((candidate) => candidate.trim() === '*' || opaque(candidate) === wanted);
}
