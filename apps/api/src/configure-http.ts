import { INestApplication, NotFoundException, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { UnknownElementException } from '@nestjs/core/errors/exceptions/unknown-element.exception';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { TenkConfig } from '@tenk/config';
import { isForwarded, notFoundMessage } from '@tenk/observability';
import { LoadShedder, sheddingMiddleware } from '@tenk/resilience';
import { parseJsonWithNamedErrors } from './errors/body-parser-errors';
import { shedPriorityOf } from './load-shedding/shed-priorities';

/** Where Swagger lives: the UI, and the OpenAPI document as JSON and YAML. */
export const DOCS_PATHS = ['/docs', '/docs-json', '/docs-yaml'];

/**
 * HTTP settings of the api: strict validation (unknown fields are rejected, every problem is
 * named in the 400), the client's address from X-Forwarded-For as far as the proxies in
 * TENK_TRUSTED_PROXIES wrote it (anyone else's is ignored), Swagger UI at /docs (OpenAPI JSON
 * at /docs-json) on the instance's own port only (through a proxy, the public door, the docs
 * answer 404, like /metrics, whatever the proxy's own rules say), a malformed or oversized
 * body refused with a message that says so, and load shedding (TENK_SHED*) in front of it all
 * when the app has the LoadSheddingModule.
 */
export function configureHttp(app: INestApplication, config: TenkConfig): void {
  const express = app as NestExpressApplication;
  express.set('trust proxy', config.runtime.trustedProxies);
  express.disable('x-powered-by');
  // First of all: an instance past its event-loop bounds refuses new requests before parsing them.
  const shedder = loadShedderOf(app);
  if (shedder !== null) express.use(sheddingMiddleware(shedder, shedPriorityOf));
  parseJsonWithNamedErrors(app);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('tenk shop api')
      .setDescription(
        'The api behind the tenk shop: catalog, accounts, orders, videos, reports. Sessions are cookies: POST /auth/login first.',
      )
      .setVersion('1')
      .addCookieAuth('tenk_session')
      .build(),
  );
  // Express matches these case-insensitively and with any trailing part (/DOCS/, /docs/x.js),
  // as it does the routes behind them.
  express.use(DOCS_PATHS, (req: Request, res: Response, next: NextFunction) => {
    if (!isForwarded(req)) return next();
    res.status(404).json(new NotFoundException(notFoundMessage(req)).getResponse());
  });
  SwaggerModule.setup('docs', app, document);
}

/** The app's LoadShedder, or null for an app built without the LoadSheddingModule (some int-specs). */
function loadShedderOf(app: INestApplication): LoadShedder | null {
  try {
    return app.get(LoadShedder, { strict: false });
  } catch (error) {
    if (error instanceof UnknownElementException) return null;
    throw error;
  }
}
