import { Module } from '@nestjs/common';
import { ReportingModule } from '@tenk/reporting';
import { ReportsController } from './reports.controller';

/** POST /reports and GET /reports/:id (+ download), in front of libs/reporting and the `report` queue. */
@Module({ imports: [ReportingModule], controllers: [ReportsController] })
export class ReportsModule {}
