import { BadRequestException, Controller, Get, Header, NotFoundException, Param, Query, ServiceUnavailableException } from '@nestjs/common';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { formatMs, isTraceId, JaegerQuery, renderWaterfall, type TraceSummary } from '@tenk/observability';
import { tracePage, traceListPage } from './trace-pages';

/** What the list calls slow unless `?min=` says otherwise (ms, the balancer's whole answer). */
const DEFAULT_SLOW_MS = 250;

/**
 * The trace viewer the map carries: tools/infra's Jaeger is built from its Go module, whose
 * UI is a placeholder (the UI's built assets are a separate JavaScript project, published in no
 * registry this machine reaches), so the map reads Jaeger's query API and draws the trace
 * itself. `/traces`: the recent slow and failed requests (the balancer's spans), each linked to
 * its trace; `/traces/:id`: one trace as a waterfall with the patterns' attributes. Read-only
 * pages, open on loopback like the map.
 */
@Controller('traces')
export class TracesController {
  readonly #jaeger: JaegerQuery;

  constructor(@InjectConfig() config: TenkConfig) {
    this.#jaeger = new JaegerQuery(`http://127.0.0.1:${config.tracing.jaeger.uiPort}`);
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async list(@Query('min') min?: string): Promise<string> {
    const minMs = min === undefined || min === '' ? DEFAULT_SLOW_MS : Number(min);
    if (!Number.isInteger(minMs) || minMs < 0 || minMs > 600_000)
      throw new BadRequestException(`min must be a whole number of milliseconds from 0 to 600000, not ${JSON.stringify(min)}`);
    const [slow, failed] = await Promise.all([
      this.#search(() => this.#jaeger.find({ service: 'balancer', minDurationMs: minMs, limit: 20 })),
      this.#search(() => this.#jaeger.find({ service: 'balancer', limit: 200 }).then(onlyFailed)),
    ]);
    return traceListPage({ minMs, slow, failed, jaeger: this.#jaeger.base });
  }

  /** The JSON of a trace, as the page draws it (plain spans, waterfall order). */
  @Get(':id/json')
  @Header('Cache-Control', 'no-store')
  async json(@Param('id') id: string): Promise<unknown> {
    return this.#trace(id);
  }

  @Get(':id')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async page(@Param('id') id: string): Promise<string> {
    const trace = await this.#trace(id);
    const root = trace.spans[0];
    const title = `${root.service} ${root.name}: ${formatMs(trace.durationUs)}, ${new Date(trace.startedAtUs / 1_000).toISOString()}`;
    return tracePage({ trace, title, svg: renderWaterfall(trace, title) });
  }

  async #trace(id: string) {
    if (!isTraceId(id))
      throw new BadRequestException(`not a trace id: expected 32 lowercase hex characters, got ${JSON.stringify(id.slice(0, 64))}`);
    const trace = await this.#jaeger.trace(id).catch((error: Error) => {
      throw new ServiceUnavailableException(
        `Jaeger's query API at ${this.#jaeger.base} did not answer (${error.message}): npm run infra -- up jaeger`,
      );
    });
    if (trace === undefined)
      throw new NotFoundException(
        `Jaeger has no trace ${id}: it was not sampled (and did not fail), or it is older than Jaeger keeps (in memory, until it restarts)`,
      );
    return trace;
  }

  async #search(find: () => Promise<TraceSummary[]>): Promise<TraceSummary[] | string> {
    return find().catch((error: Error) => `Jaeger's query API at ${this.#jaeger.base} did not answer (${error.message})`);
  }
}

function onlyFailed(traces: TraceSummary[]): TraceSummary[] {
  return traces.filter((trace) => trace.failed).slice(0, 20);
}
