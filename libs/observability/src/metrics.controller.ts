import { Controller, Get, Header, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { isForwarded, notFoundMessage } from './direct-request';
import { PublicRoute } from './public-route';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MetricsService } from './metrics.service';

/**
 * Prometheus' scrape target, on each instance's own port: the scraper and the map call it
 * there directly. A request a proxy forwarded (the public door: the balancer, nginx, an
 * ingress) is answered as if there were no such route, whatever the proxy's own rules say.
 */
@ApiExcludeController()
@PublicRoute()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async scrape(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    if (isForwarded(req)) throw new NotFoundException(notFoundMessage(req));
    const text = await this.metrics.registry.metrics();
    await res.header('Content-Type', this.metrics.registry.contentType).send(text);
  }
}
