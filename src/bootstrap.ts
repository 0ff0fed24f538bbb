import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import { limitRequestHeads, requestHeadLimit } from './common/request-head-limit.js';
import { REQUEST_LIMITS } from './common/request-limits.js';
import { requestValuesGuard } from './common/request-values.middleware.js';
import { securityHeaders } from './common/security-headers.js';
import { createValidationPipe } from './common/validation.js';
import { allowedOrigins, type AppConfig } from './config/configuration.js';
import { ROOT_LOGGER } from './logging/logging.module.js';
import type { Logger } from './logging/logger.js';
import { requestContextAfterBody, requestLogging } from './logging/request-logging.js';
import { AppMetrics } from './metrics/app-metrics.js';
import { isScimPath, SCIM_VALUE_LIMITS, scimMembersLimit } from './scim/scim-limits.js';
import type { NextFunction, Request, Response } from 'express';

/** Everything an app needs beyond its modules; shared by main.ts and the e2e tests. */
export function configureApp(app: NestExpressApplication, config: AppConfig): INestApplication {
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  limitRequestHeads(app.getHttpServer());
  // First: every answer, refusals by the middlewares below included, is logged and counted.
  app.use(requestLogging(app.get<Logger>(ROOT_LOGGER)));
  app.use(app.get(AppMetrics).httpMiddleware());
  app.use(requestHeadLimit);
  // Security headers; the API serves no HTML but the /docs UI, which needs its inline assets.
  const apiHeaders = securityHeaders();
  const docsHeaders = securityHeaders({ contentSecurityPolicy: false });
  app.use((req: Request, res: Response, next: NextFunction) =>
    req.path.startsWith('/docs') ? docsHeaders(req, res, next) : apiHeaders(req, res, next),
  );
  // The admin frontend may live on its own origin; it sends the session cookie.
  app.enableCors({ origin: allowedOrigins(config), credentials: true });
  app.use(cookieParser());
  // SAML responses and metadata, and SCIM pushes of large groups, outgrow the 100 kB default.
  app.useBodyParser('json', {
    type: ['application/json', 'application/scim+json'],
    limit: REQUEST_LIMITS.jsonBodyBytes,
  });
  app.useBodyParser('urlencoded', { extended: false, limit: REQUEST_LIMITS.formBodyBytes });
  app.use(requestContextAfterBody);
  app.use(
    requestValuesGuard((request) =>
      isScimPath(request.path) ? SCIM_VALUE_LIMITS : { maxDepth: REQUEST_LIMITS.jsonDepth },
    ),
  );
  app.use('/scim/v2', scimMembersLimit);
  app.useGlobalPipes(createValidationPipe());
  // No app.enableShutdownHooks(): main.ts handles signals (Nest's would also stop on SIGUSR2).

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Gatehouse')
      .setDescription(
        'Workspace sign-in and provisioning: sign-in methods, SAML, sessions, SCIM 2.0 and administration.',
      )
      .setVersion('0.1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'INTERNAL_API_TOKEN' })
      .addCookieAuth(config.session.cookieName)
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
  return app;
}
