import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { PinoLogger } from 'nestjs-pino';
import { applyResilience } from './apply-resilience';
import { ResilienceService } from './resilience.service';

/** At start-up, wraps the decorated methods of every (singleton) provider in its policies. */
@Injectable()
export class ResilienceExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly resilience: ResilienceService,
    private readonly logger: PinoLogger,
  ) {
    this.logger.setContext('resilience');
  }

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const methods = applyResilience(instance, this.resilience);
      if (methods.length > 0) this.logger.debug({ provider: instance.constructor.name, methods }, 'resilience policies applied');
    }
  }
}
