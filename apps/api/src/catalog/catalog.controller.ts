import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HttpCache } from '@tenk/caching';
import { Public, Roles } from '../auth/auth.decorators';
import { CreateProductBody, ListProductsQuery, ProductPage, ProductView, UpdateProductBody } from './catalog.dto';
import { CatalogService } from './catalog.service';

@ApiTags('catalog')
@Controller('products')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  /** Cached responses (ETag, 304), invalidated by any catalog write. */
  @Public()
  @HttpCache({ tags: ['catalog'] })
  @Get()
  list(@Query() query: ListProductsQuery): Promise<ProductPage> {
    return this.catalog.list(query);
  }

  @Public()
  @HttpCache({ tags: ['product:{id}'] })
  @Get(':id')
  get(@Param('id') id: string): Promise<ProductView> {
    return this.catalog.get(id);
  }

  @Roles('admin')
  @Post()
  create(@Body() body: CreateProductBody): Promise<ProductView> {
    return this.catalog.create(body);
  }

  @Roles('admin')
  @Patch(':id')
  update(@Param('id') id: string, @Body() body: UpdateProductBody): Promise<ProductView> {
    return this.catalog.update(id, body);
  }
}
