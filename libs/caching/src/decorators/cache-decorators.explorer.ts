import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { cacheId } from '../cache-keys';
import { CacheService } from '../cache.service';
import { CACHEABLE, type CacheableOptions } from './cacheable.decorator';
import { INVALIDATES_CACHE, type InvalidatedTags } from './invalidates-cache.decorator';

type Method = (...args: unknown[]) => Promise<unknown>;

/**
 * Finds @Cacheable and @InvalidatesCache methods on this app's providers at startup and wraps
 * them on the instance with this app's CacheService: no global state, so two apps in one
 * process (as in tests) each use their own cache.
 */
@Injectable()
export class CacheDecoratorsExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly cache: CacheService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[name] as Method;
        const cacheable = this.reflector.get<CacheableOptions<unknown[]> | undefined>(CACHEABLE, method);
        if (cacheable) instance[name] = this.#cached(`${instance.constructor.name}.${name}`, instance, method, cacheable);
        const invalidates = this.reflector.get<InvalidatedTags<unknown[], unknown> | undefined>(INVALIDATES_CACHE, method);
        if (invalidates) instance[name] = this.#invalidating(instance, instance[name] as Method, invalidates);
      }
    }
  }

  #cached(name: string, instance: object, method: Method, options: CacheableOptions<unknown[]>): Method {
    const cache = this.cache;
    return function cached(...args: unknown[]) {
      const id = options.key ? String(options.key(...args)) : cacheId(args.length === 1 && isPlain(args[0]) ? String(args[0]) : args);
      const tags = typeof options.tags === 'function' ? options.tags(...args) : (options.tags ?? []);
      return cache.getOrLoad({ name, id, tags, ttlMs: options.ttl, notFound: options.notFound, load: () => method.apply(instance, args) });
    };
  }

  #invalidating(instance: object, method: Method, tags: InvalidatedTags<unknown[], unknown>): Method {
    const cache = this.cache;
    return async function invalidating(...args: unknown[]) {
      const result = await method.apply(instance, args);
      await cache.invalidate(tags(result, ...args));
      return result;
    };
  }
}

function isPlain(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
