// HTTP plumbing shared by main.ts and the tests: body parsing, validation, Swagger.
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { type NextFunction, type Request, type Response } from 'express';
import { ingestConfig, type IngestConfig } from './config/configuration';
import { bodyShapeProblem } from './errors/body-shape';
import { errorBody } from './errors/error-body';
import { createValidationPipe } from './errors/validation.pipe';

export function configureHttp(app: NestExpressApplication): void {
  const { maxBodyMb } = app.get<IngestConfig>(ingestConfig.KEY);
  app.use(express.json({ limit: `${maxBodyMb}mb` }));
  app.use(bodyErrors(maxBodyMb));
  app.use(bodyShape);
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  setupSwagger(app);
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
      res
        .status(413)
        .json(
          errorBody(
            413,
            'PAYLOAD_TOO_LARGE',
            `The request body is larger than ${maxBodyMb} MB (MAX_BODY_MB).`,
          ),
        );
    } else if (error.type === 'entity.parse.failed') {
      res
        .status(400)
        .json(
          errorBody(
            400,
            'VALIDATION_FAILED',
            'The request body is not a valid JSON object or array.',
            [{ path: '', message: 'is not a valid JSON object or array' }],
          ),
        );
    } else if (error.status && error.status >= 400 && error.status < 500) {
      // An unsupported charset or encoding, an aborted upload: the body could not be read.
      res
        .status(400)
        .json(
          errorBody(
            400,
            'VALIDATION_FAILED',
            'The request body could not be read; send UTF-8 JSON.',
          ),
        );
    } else {
      next(error);
    }
  };
}

/** Runs before anything walks the body recursively (see body-shape.ts). */
function bodyShape(req: Request, res: Response, next: NextFunction): void {
  const problem = bodyShapeProblem(req.body);
  if (problem) {
    res
      .status(400)
      .json(
        errorBody(
          400,
          'VALIDATION_FAILED',
          `The request body is invalid: ${problem.path || 'it'} ${problem.message}.`,
          [problem],
        ),
      );
  } else {
    next();
  }
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
