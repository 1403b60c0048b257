// HTTP plumbing shared by main.ts and the tests: CORS, request ids, validation, Swagger.
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { appConfig, type AppConfig } from './config/configuration';
import { createValidationPipe } from './errors/validation.pipe';
import { requestIdMiddleware } from './logging/request-id';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { applySecurityHeaders } from './security/security-headers';

export function configureHttp(app: NestExpressApplication, { docs }: { docs: boolean }): void {
  const { corsOrigins } = app.get<AppConfig>(appConfig.KEY);
  // First, so that every answer to an allowed origin carries its headers, errors included. Other
  // origins get no CORS headers, so browsers keep their pages from reading the answers.
  if (corsOrigins.length) {
    app.enableCors({
      origin: corsOrigins,
      exposedHeaders: ['Location', 'X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
      maxAge: 600,
    });
  }
  applySecurityHeaders(app);
  app.use(requestIdMiddleware);
  // No body parser here: bodies are read per route, after authentication (request-body/).
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  if (docs) setupSwagger(app);
}

function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'api/docs-json',
  });
}
