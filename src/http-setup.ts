// HTTP plumbing shared by main.ts and the tests: CORS, body parsing, validation, Swagger.
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { type NextFunction, type Request, type Response } from 'express';
import { appConfig, ingestConfig, type AppConfig, type IngestConfig } from './config/configuration';
import type { ErrorCode, ErrorDetail } from './errors/domain-error';
import { errorBody } from './errors/error-body';
import { createValidationPipe } from './errors/validation.pipe';
import { requestIdMiddleware } from './logging/request-id';
import { applySecurityHeaders } from './security/security-headers';

export function configureHttp(app: NestExpressApplication, { docs }: { docs: boolean }): void {
  const { maxBodyMb } = app.get<IngestConfig>(ingestConfig.KEY);
  const { corsOrigins } = app.get<AppConfig>(appConfig.KEY);
  // First, so that every answer to an allowed origin carries its headers, errors included. Other
  // origins get no CORS headers, so browsers keep their pages from reading the answers.
  if (corsOrigins.length) {
    app.enableCors({
      origin: corsOrigins,
      exposedHeaders: ['Location', 'X-Request-Id', 'Retry-After'],
      maxAge: 600,
    });
  }
  applySecurityHeaders(app);
  app.use(requestIdMiddleware);
  app.use(express.json({ limit: `${maxBodyMb}mb` }));
  app.use(bodyErrors(maxBodyMb));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  if (docs) setupSwagger(app);
}

/** Body-parser errors happen before Nest's filters run; answer them with the same error body. */
function bodyErrors(maxBodyMb: number) {
  return (
    error: { type?: string; status?: number },
    _req: Request,
    res: Response,
    next: NextFunction,
  ) => {
    if (error.type === 'entity.too.large') {
      reply(
        res,
        413,
        'PAYLOAD_TOO_LARGE',
        `The request body is larger than ${maxBodyMb} MB (MAX_BODY_MB).`,
      );
    } else if (error.type === 'entity.parse.failed') {
      reply(
        res,
        400,
        'VALIDATION_FAILED',
        'The request body is not a valid JSON object or array.',
        {
          path: '',
          message: 'is not a valid JSON object or array',
        },
      );
    } else if (error.status && error.status >= 400 && error.status < 500) {
      // An unsupported charset or encoding, an aborted upload: the body could not be read.
      reply(res, 400, 'VALIDATION_FAILED', 'The request body could not be read; send UTF-8 JSON.');
    } else {
      next(error);
    }
  };
}

function reply(
  res: Response,
  status: number,
  code: ErrorCode,
  message: string,
  detail?: ErrorDetail,
): void {
  res.status(status).json(errorBody(status, code, message, detail && [detail]));
}

function setupSwagger(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Salvo')
      .setDescription(
        'SMS batch campaigns: post a template and its recipients, Salvo validates and stores them, ' +
          'sends each message at its priority rate and reports progress. Every /api route but this ' +
          'documentation needs `Authorization: Bearer <api key>`.',
      )
      .setVersion('0.1.0')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'An account API key (salvo_...)',
      })
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
