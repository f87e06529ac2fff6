import { Controller, Get, Header, HttpStatus, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { parseImageFile } from './product-image';
import { ProductImagesService } from './product-images.service';

/** A year, the longest Cache-Control lifetime caches honour: the URL changes whenever the picture does. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Product pictures at content-hashed URLs (`/images/products/<sku>.<hash>.svg`): browsers and
 * CDNs keep them for a year without asking again, and the api renders each one at most once a
 * day. The storefront's own JS and CSS are hashed by its build and served by the balancer.
 */
@ApiTags('catalog')
@Controller('images/products')
export class ProductImagesController {
  constructor(private readonly images: ProductImagesService) {}

  @Public()
  @Get(':file')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
  @ApiOkResponse({ description: 'The picture (SVG), cacheable for a year' })
  async get(
    @Param('file') file: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string | undefined> {
    const parsed = parseImageFile(file);
    if (!parsed) throw new NotFoundException(`${file} is not a product picture; they look like SKU-000042.3f9a1c2b7d4e.svg`);
    const svg = await this.images.svg(parsed.sku, parsed.hash);
    const etag = `"${parsed.hash}"`;
    res.header('Cache-Control', IMMUTABLE);
    res.header('ETag', etag);
    res.header('Content-Type', 'image/svg+xml; charset=utf-8');
    if (req.headers['if-none-match']?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      res.status(HttpStatus.NOT_MODIFIED);
      return undefined;
    }
    return svg;
  }
}
