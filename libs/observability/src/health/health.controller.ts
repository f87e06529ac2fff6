import { Controller, Get, Header, HttpStatus, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ApiTags } from '@nestjs/swagger';
import { PublicRoute } from '../public-route';
import type { Response } from 'express';
import { HealthRegistry, type ReadinessCheck } from './health-registry';

const CHECK_TIMEOUT_MS = 2_000;

@ApiTags('health')
@PublicRoute()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: HealthRegistry,
  ) {}

  /** Liveness: the process runs and its event loop turns. Never checks dependencies. */
  @Get('live')
  @Header('Cache-Control', 'no-store')
  @Header('X-Process-Id', String(process.pid))
  live(): { status: 'ok'; pid: number; uptimeSeconds: number } {
    return { status: 'ok', pid: process.pid, uptimeSeconds: Math.round(process.uptime()) };
  }

  /**
   * Readiness: every registered dependency, each bounded by a timeout. A failed critical
   * dependency answers 503; a failed non-critical one is reported as degraded with 200.
   */
  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @Header('X-Process-Id', String(process.pid))
  async ready(@Res({ passthrough: true }) res: Response): Promise<unknown> {
    const degraded: string[] = [];
    const checks = this.registry.list().map((check) => () => this.#run(check, degraded));
    try {
      const result = await this.health.check(checks);
      const status = degraded.length > 0 ? 'degraded' : result.status;
      return { ...result, status, degraded };
    } catch (error) {
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      const body = (error as { response?: unknown }).response;
      return body ?? { status: 'error', message: String(error) };
    }
  }

  async #run(check: ReadinessCheck, degraded: string[]): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(check.name);
    const started = Date.now();
    try {
      const outcome = await withTimeout(check.check(), CHECK_TIMEOUT_MS, `${check.name} did not answer within ${CHECK_TIMEOUT_MS} ms`);
      const latencyMs = Date.now() - started;
      if (outcome?.degraded) degraded.push(check.name);
      return session.up({ latencyMs, ...(outcome?.degraded ? { degraded: true } : {}), ...(outcome?.details ?? {}) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (check.critical) return session.down({ message, critical: true });
      degraded.push(check.name);
      return session.up({ degraded: true, message, critical: false });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
