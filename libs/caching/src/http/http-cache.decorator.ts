import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { HttpCacheInterceptor } from './http-cache.interceptor';
import { HTTP_CACHE, type HttpCacheOptions } from './http-cache.options';

/**
 * Caches a GET route's responses (status, body, chosen headers) with ETag and 304s, keyed by
 * route, params, query and, on per-user routes, the user.
 *
 *   @HttpCache({ tags: ['product:{id}'], maxAge: 5 })
 *   @Get(':id')
 */
export const HttpCache = (options: HttpCacheOptions = {}): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(HTTP_CACHE, options), UseInterceptors(HttpCacheInterceptor));
