import { INestApplication, NotFoundException, ValidationPipe } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { UnknownElementException } from '@nestjs/core/errors/exceptions/unknown-element.exception';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { TenkConfig } from '@tenk/config';
import { isForwarded, notFoundMessage } from '@tenk/observability';
import { LoadShedder, sheddingMiddleware } from '@tenk/resilience';
import { parseJsonWithNamedErrors } from './errors/body-parser-errors';
import { shedPriorityOf } from './load-shedding/shed-priorities';

/** Where Swagger lives: the UI, and the OpenAPI document as JSON and YAML. */
export const DOCS_PATHS = ['/docs', '/docs-json', '/docs-yaml'];
const DOCS_PATH = /^\/docs(-json|-yaml)?(\/|\?|$)/i;

/**
 * HTTP settings of the api: strict validation (unknown fields are rejected, every problem is named
 * in the 400), Swagger UI at /docs (OpenAPI JSON at /docs-json) on the instance's own port only
 * (through a proxy, the public door, the docs answer 404, like /metrics, whatever the proxy's own
 * rules say), a malformed or oversized body refused with a message that says so, and load shedding
 * (TENK_SHED*) in front of it all when the app has the LoadSheddingModule. The client's address
 * (X-Forwarded-For as far as the proxies in TENK_TRUSTED_PROXIES wrote it) is the adapter's
 * (startService's createHttpAdapter).
 */
export function configureHttp(app: NestFastifyApplication, _config: TenkConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  // Before body parsing and routing: an instance past its event-loop bounds refuses new
  // requests at once (after the access log and metrics, which come first of all).
  const shedder = loadShedderOf(app);
  if (shedder !== null) {
    const shed = sheddingMiddleware(shedder, shedPriorityOf);
    fastify.addHook('onRequest', (request, reply, done) => shed(request.raw, reply.raw, done));
  }
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
  // By the route the router matched (so /DOCS/, /docs/x.js and a percent-encoded /%64ocs, which
  // it decodes, are all the docs), not by the URL as written.
  fastify.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || !DOCS_PATH.test(route) || !isForwarded(request)) return done();
    void reply.status(404).send(new NotFoundException(notFoundMessage(request.raw)).getResponse());
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
