export { ReportingModule } from './reporting.module';
export { ReportRequest } from './report-request.entity';
export { ReportRequests, reportFileKey, type NewReportRequest } from './report-requests';
export { SalesAggregates, type ApplyOutcome } from './sales-aggregates';
export { ReportBuilder, type BuiltReport } from './report-builder';
export { csvLine, csvCell, centsToAmount, type CsvValue } from './csv';
