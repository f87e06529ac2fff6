import { Module } from '@nestjs/common';
import { RateLimiter } from './rate-limiter';

/** Shared fixed-window counters (RateLimiter), for routes that limit how often a client may call them. */
@Module({
  providers: [RateLimiter],
  exports: [RateLimiter],
})
export class RateLimitModule {}
