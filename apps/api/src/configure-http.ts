import { INestApplication, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/**
 * HTTP settings of the api: strict validation (unknown fields are rejected, every problem is
 * named in the 400), the client's address from the balancer's X-Forwarded-For, Swagger UI at
 * /docs (OpenAPI JSON at /docs-json).
 */
export function configureHttp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.set('trust proxy', 'loopback');
  express.disable('x-powered-by');
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
