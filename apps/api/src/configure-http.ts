import { INestApplication, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { TenkConfig } from '@tenk/config';
import { parseJsonWithNamedErrors } from './errors/body-parser-errors';

/**
 * HTTP settings of the api: strict validation (unknown fields are rejected, every problem is
 * named in the 400), the client's address from X-Forwarded-For as far as the proxies in
 * TENK_TRUSTED_PROXIES wrote it (anyone else's is ignored), Swagger UI at /docs (OpenAPI JSON
 * at /docs-json), and a malformed or oversized body refused with a message that says so.
 */
export function configureHttp(app: INestApplication, config: TenkConfig): void {
  const express = app as NestExpressApplication;
  express.set('trust proxy', config.runtime.trustedProxies);
  express.disable('x-powered-by');
  parseJsonWithNamedErrors(app);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('tenk shop api')
      .setDescription('The api behind the tenk shop: catalog, accounts, orders, videos, reports. Sessions are cookies: POST /auth/login first.')
      .setVersion('1')
      .addCookieAuth('tenk_session')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
