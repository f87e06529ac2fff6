import { Body, Controller, Delete, Get, Header, HttpCode, MessageEvent, Param, Post, Put, Sse } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Observable } from 'rxjs';
import { IsBoolean, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { CONTROL_TOKEN_PAGE_SCRIPT } from '@tenk/control-plane';
import { ControlsService } from './controls.service';
import { MapCollector } from './map-collector';
import type { Snapshot } from './snapshot';

class SwitchBody {
  @IsBoolean()
  on!: boolean;
}

class AlgorithmBody {
  @IsString()
  @Matches(/^(round_robin|least_conn|ip_hash|random( two)?( least_conn)?|hash \S+( consistent)?)$/, {
    message: 'algorithm must be round_robin, least_conn, ip_hash, random two [least_conn] or hash KEY [consistent]',
  })
  algorithm!: string;
}

class FaultsBody {
  @IsOptional()
  @IsBoolean()
  hang?: boolean;

  @IsOptional()
  @IsBoolean()
  refuseConnections?: boolean;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  latencyMs?: number;

  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  errorRate?: number;
}

const PAGE = readFileSync(path.join(__dirname, 'page', 'map.html'), 'utf8').replace(
  '/* control token script */',
  () => CONTROL_TOKEN_PAGE_SCRIPT,
);

/**
 * The live architecture map: the page, its data stream, and its controls. The page and the
 * data are open on loopback; the controls take the run's token (ControlPlaneModule's guard),
 * which the page was given in its URL.
 */
@Controller()
export class MapController {
  readonly #page: string;

  constructor(
    private readonly collector: MapCollector,
    private readonly controls: ControlsService,
  ) {
    // Its traces link goes to the map's own trace pages (traces/traces.controller.ts).
    this.#page = PAGE;
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  // Opened with the token in its URL: no Referer carries it anywhere.
  @Header('Referrer-Policy', 'no-referrer')
  page(): string {
    return this.#page;
  }

  /** One snapshot, as JSON (what the page receives every second). */
  @Get('snapshot')
  @Header('Cache-Control', 'no-store')
  snapshot(): Promise<Snapshot> {
    return this.collector.collect();
  }

  /** Server-sent events: a snapshot every second while connected. */
  @Sse('events')
  events(): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => this.collector.watch((snapshot) => subscriber.next({ data: snapshot })));
  }

  @Put('controls/switches/:name')
  setSwitch(@Param('name') name: string, @Body() body: SwitchBody): Promise<unknown> {
    return this.controls.setSwitch(name, body.on);
  }

  @Put('controls/algorithm')
  setAlgorithm(@Body() body: AlgorithmBody): Promise<unknown> {
    return this.controls.setAlgorithm(body.algorithm);
  }

  @Put('controls/payment-faults')
  setFaults(@Body() body: FaultsBody): Promise<unknown> {
    return this.controls.setPaymentFaults({ ...body });
  }

  @Delete('controls/payment-faults')
  clearFaults(): Promise<unknown> {
    return this.controls.setPaymentFaults(undefined);
  }

  @Post('controls/processes/:name/:action')
  @HttpCode(200)
  process(@Param('name') name: string, @Param('action') action: string): Promise<unknown> {
    return this.controls.process(name, action);
  }
}
