import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { HealthRegistry } from '@tenk/observability';
import { ResilienceService } from './resilience.service';

/**
 * `circuit-breakers` in /health/ready: degraded (200, still in rotation) while any breaker is
 * open or half-open. Never down: an open breaker is this process protecting itself, and taking
 * it out of the balancer would turn one failed dependency into a failed service.
 */
@Injectable()
export class ResilienceReadiness implements OnModuleInit {
  constructor(
    private readonly resilience: ResilienceService,
    @Optional() private readonly health?: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health?.register({
      name: 'circuit-breakers',
      critical: false,
      check: async () => {
        const breakers = this.resilience.breakers();
        const notClosed = breakers.filter((breaker) => breaker.state !== 'closed');
        const details = {
          enabled: this.resilience.enabled,
          breakers: Object.fromEntries(breakers.map((breaker) => [breaker.breaker, breaker.state])),
        };
        if (notClosed.length === 0) return { details };
        return { degraded: true, details: { ...details, open: notClosed.map((breaker) => breaker.breaker) } };
      },
    });
  }
}
