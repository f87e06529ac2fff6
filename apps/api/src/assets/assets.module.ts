import { Module } from '@nestjs/common';
import { ProductImagesBackfill } from './product-images.backfill';
import { ProductImagesController } from './product-images.controller';
import { ProductImagesService } from './product-images.service';

/** Static assets the api serves: product pictures at content-hashed, cache-forever URLs. */
@Module({
  controllers: [ProductImagesController],
  providers: [ProductImagesService, ProductImagesBackfill],
})
export class AssetsModule {}
