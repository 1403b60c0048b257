// The code's OpenAPI document without a running service, for `npm run openapi` and its test.
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { buildOpenApiDocument, canonicalOpenApiJson } from './openapi-document';

/**
 * The document a service of the default role (`all`) serves, built from the module graph alone:
 * in preview mode Nest instantiates no provider, so nothing connects to PostgreSQL or Redis and no
 * configuration is needed. test/template-and-docs.e2e-spec.ts checks that a running service
 * serves the same.
 */
export async function openApiOfCode(): Promise<string> {
  const app = await NestFactory.create(AppModule.forRole('all'), { preview: true, logger: false });
  try {
    return canonicalOpenApiJson(buildOpenApiDocument(app));
  } finally {
    await app.close();
  }
}
