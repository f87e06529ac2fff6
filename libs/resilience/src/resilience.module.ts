import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PolicyRegistry } from './policy-registry';
import { ResilienceExplorer } from './resilience.explorer';
import { ResilienceObserver } from './resilience-observer';
import { ResilienceReadiness } from './resilience.readiness';
import { ResilienceService } from './resilience.service';

/**
 * Circuit breakers, retries, timeouts and bulkheads for Nest providers, on cockatiel. Import
 * it once in the root module (after ObservabilityModule); policies come from the config's
 * `resilience` section, decorated provider methods are wrapped at start-up, and
 * ResilienceService runs anything else: `execute('shard:shard_2', (signal) => ...)`.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [ResilienceObserver, PolicyRegistry, ResilienceService, ResilienceExplorer, ResilienceReadiness],
  exports: [ResilienceService, PolicyRegistry],
})
export class ResilienceModule {}
