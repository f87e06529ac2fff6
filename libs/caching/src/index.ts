export { CachingModule, CacheConnection, CACHE, InjectCache } from './caching.module';
