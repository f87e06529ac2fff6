import { Controller, Get, Header, HttpStatus, Inject, Req, Res } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ApiTags } from '@nestjs/swagger';
import { PublicRoute } from '../public-route';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDirectFromLoopback } from '../direct-request';
import { OBSERVABILITY_OPTIONS, type ObservabilityOptions } from '../observability.module-definition';
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
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ObservabilityOptions,
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
   * Which dependency failed and why (hosts, ports, error messages) is for operators: shown to a
   * caller on this machine at the instance's own port, or to whom `showReadinessDetailsTo`
   * admits (the api: its admin role). Through a proxy everyone else gets `up` or `down` only.
   */
  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @Header('X-Process-Id', String(process.pid))
  async ready(@Req() req: FastifyRequest, @Res({ passthrough: true }) res: FastifyReply): Promise<unknown> {
    const report = await this.#report();
    if (report.down) res.status(HttpStatus.SERVICE_UNAVAILABLE);
    if (isDirectFromLoopback(req) || this.options.showReadinessDetailsTo?.(req) === true) return report.body;
    return { status: report.down ? 'down' : 'up' };
  }

  async #report(): Promise<{ down: boolean; body: unknown }> {
    const degraded: string[] = [];
    const checks = this.registry.list().map((check) => () => this.#run(check, degraded));
    try {
      const result = await this.health.check(checks);
      const status = degraded.length > 0 ? 'degraded' : result.status;
      return { down: false, body: { ...result, status, degraded } };
    } catch (error) {
      const body = (error as { response?: unknown }).response;
      return { down: true, body: body ?? { status: 'error', message: String(error) } };
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
