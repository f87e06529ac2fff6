import { Module } from '@nestjs/common';
import { ReportBuilder } from './report-builder';
import { ReportRequests } from './report-requests';
import { SalesAggregates } from './sales-aggregates';

/**
 * Sales reports: report requests, the sales aggregates OrderPlaced events feed, and the CSV
 * builder. Needs DatabaseModule (with the ReportRequest entity) and StorageModule.
 */
@Module({
  providers: [ReportRequests, SalesAggregates, ReportBuilder],
  exports: [ReportRequests, SalesAggregates, ReportBuilder],
})
export class ReportingModule {}
