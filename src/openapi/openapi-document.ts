// The service's OpenAPI document: what /api/docs serves, and its canonical text in docs/openapi.json.
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Salvo')
      .setDescription(
        'SMS batch campaigns: post a template and its recipients, Salvo validates and stores them, ' +
          'sends each message at its priority rate and reports progress. Every /api route but this ' +
          'documentation needs `Authorization: Bearer <api key>`. Requests and batch creations are ' +
          'throttled per account, failed authentications per client address: answers carry ' +
          '`RateLimit-Policy` and `RateLimit`, and a 429 `RATE_LIMITED` also `Retry-After`.',
      )
      .setVersion('0.1.0')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'An account API key (salvo_...)',
      })
      .build(),
  );
}

/**
 * The committed form: keys sorted at every level, two-space indent, a trailing newline. Nest
 * writes keys in the order modules and decorators happen to register, which a reordered import
 * would change without changing the API; sorted, the file changes only when the API does.
 * Arrays keep their order (parameters, enums and `required` lists mean something in order).
 */
export function canonicalOpenApiJson(document: unknown): string {
  return `${JSON.stringify(sortKeys(document), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}
