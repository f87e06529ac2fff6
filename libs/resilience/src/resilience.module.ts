import { Global, Module } from '@nestjs/common';

/** Circuit breakers, retries, timeouts and bulkheads for Nest providers (see its issue). */
@Global()
@Module({})
export class ResilienceModule {}
