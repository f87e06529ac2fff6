import type { MigrationInterface } from 'typeorm';
import { CatalogAndUsers1732780800000 } from './1732780800000-catalog-and-users';
import { ProductIndexes1795824000000 } from './1795824000000-product-indexes';
import { StockReservations1795824000001 } from './1795824000001-stock-reservations';
import { ShardMap1795824000002 } from './1795824000002-shard-map';
import { Videos1795824060000 } from './1795824060000-videos';
import { SentMail1795824120000 } from './1795824120000-sent-mail';
import { SalesReports1795824180000 } from './1795824180000-sales-reports';
import { VideoFilesBytes1795824240000 } from './1795824240000-video-files-bytes';

/** Migrations of the catalog database, oldest first. Add new ones at the end. */
export const CATALOG_MIGRATIONS: Array<new () => MigrationInterface> = [
  CatalogAndUsers1732780800000,
  ProductIndexes1795824000000,
  StockReservations1795824000001,
  ShardMap1795824000002,
  Videos1795824060000,
  SentMail1795824120000,
  SalesReports1795824180000,
  VideoFilesBytes1795824240000,
];
