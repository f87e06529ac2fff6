import { Module } from '@nestjs/common';
import { CatalogQueryCache } from './catalog-query-cache';
import { CatalogController } from './catalog.controller';
import { CatalogService } from './catalog.service';

@Module({
  controllers: [CatalogController],
  providers: [CatalogService, CatalogQueryCache],
  exports: [CatalogService],
})
export class CatalogModule {}
