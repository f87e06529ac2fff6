import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Get,
  GoneException,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { BUILD_REPORT_V1, reportNeedsAdmin } from '@tenk/contracts';
import { isQueueUnavailableError, JobProducer } from '@tenk/messaging';
import { ReportRequests, type ReportRequest } from '@tenk/reporting';
import { InjectObjectStore, isStorageError, sendObject, type ObjectStore } from '@tenk/storage';
import { CurrentUser } from '../auth/auth.decorators';
import { isUuid, LimitQuery } from '../common/list-query';
import type { SessionUser } from '../auth/session-user';
import { ReportRequestBody } from './reports.dto';
import { toReportView, type ReportView } from './report.view';

const DAY_MS = 86_400_000;

@ApiTags('reports')
@Controller('reports')
export class ReportsController {
  constructor(
    private readonly requests: ReportRequests,
    private readonly jobs: JobProducer,
    @InjectObjectStore() private readonly store: ObjectStore,
    @InjectConfig() private readonly config: TenkConfig,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Request a CSV report over a date range; it is built by the reports worker (poll the URL)' })
  @ApiResponse({ status: 202, description: 'Queued; poll body.url (also in Location)' })
  @ApiResponse({ status: 403, description: 'Sales reports over every customer need the admin role' })
  async create(
    @CurrentUser() user: SessionUser,
    @Body() body: ReportRequestBody,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<ReportView> {
    const days = (Date.parse(`${body.to}T00:00:00Z`) - Date.parse(`${body.from}T00:00:00Z`)) / DAY_MS + 1;
    if (days < 1) throw new BadRequestException(`from (${body.from}) must not be after to (${body.to})`);
    const maxDays = this.config.reports.maxRangeDays;
    if (days > maxDays)
      throw new BadRequestException(`the range covers ${days} days; a report covers at most ${maxDays} (TENK_REPORT_MAX_RANGE_DAYS)`);
    if (reportNeedsAdmin(body.type) && user.role !== 'admin')
      throw new ForbiddenException(`the ${body.type} report covers every customer's sales: it needs the admin role`);
    const request = await this.requests.create({ id: randomUUID(), ownerId: user.id, type: body.type, fromDay: body.from, toDay: body.to });
    try {
      await this.jobs.enqueue(BUILD_REPORT_V1, { reportId: request.id }, { jobId: request.id });
    } catch (error) {
      if (!isQueueUnavailableError(error)) throw error;
      await this.requests.markFailed(request.id, error.message);
      res.header('Retry-After', '30');
      throw new ServiceUnavailableException(`reports cannot be requested right now: ${error.message}; try again in a minute`);
    }
    const view = toReportView(request);
    res.header('Location', view.url);
    return view;
  }

  @Get()
  @ApiOperation({ summary: 'Your report requests, newest first' })
  async list(@CurrentUser() user: SessionUser, @Query() query: LimitQuery): Promise<{ items: ReportView[] }> {
    return { items: (await this.requests.listForOwner(user.id, query.limit)).map(toReportView) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A report request: state, and its download link once ready (its owner only)' })
  async get(@CurrentUser() user: SessionUser, @Param('id') id: string, @Res({ passthrough: true }) res: FastifyReply): Promise<ReportView> {
    res.header('Cache-Control', 'no-store');
    return toReportView(await this.#own(user, id));
  }

  @Get(':id/download')
  @ApiOperation({ summary: 'The report as CSV (410 once expired)' })
  async download(
    @CurrentUser() user: SessionUser,
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res() res: FastifyReply,
  ): Promise<void> {
    const request = await this.#own(user, id);
    if (request.state === 'expired')
      throw new GoneException(`report ${id} expired at ${request.expiresAt?.toISOString() ?? 'an earlier time'}; request it again`);
    if (request.state !== 'ready' || !request.fileKey)
      throw new NotFoundException(`report ${id} is ${request.state}, not ready yet; poll /reports/${id}`);
    try {
      await sendObject(req.raw, res.raw, this.store, request.fileKey, {
        cacheControl: 'private, no-cache',
        downloadName: `tenk-${request.type}-${request.fromDay}-to-${request.toDay}.csv`,
      });
    } catch (error) {
      if (isStorageError(error, 'not-found') && !res.raw.headersSent)
        throw new GoneException(`the file of report ${id} is gone; request it again`);
      throw error;
    }
  }

  /** Reports are private to whoever asked for them: anyone else gets the 404 of a missing id. */
  async #own(user: SessionUser, id: string): Promise<ReportRequest> {
    const request = isUuid(id) ? await this.requests.find(id) : null;
    if (!request || request.ownerId !== user.id) throw new NotFoundException(`no report ${id}`);
    return request;
  }
}
