// The service's own OpenAPI document, read from the running process: its operations, and a valid
// example value for a schema, so that sweeps cover a route added later without being edited.
import request from 'supertest';
import type { RunningApp } from './app-process';

export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
  example?: unknown;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema> };
  security?: unknown[];
}

interface RawOperation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  security?: unknown[];
}

export interface Operation {
  /** `METHOD /path/{param}` as in the document, for messages. */
  name: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  parameters: Parameter[];
  pathParameters: string[];
  body?: { required: boolean; schema: Schema };
  /** Needs an API key (the operation or the document says so). */
  secured: boolean;
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

export async function fetchOpenApi(app: RunningApp): Promise<OpenApiDocument> {
  const response = await request(app.url).get('/api/docs-json').expect(200);
  return response.body as OpenApiDocument;
}

export function operations(doc: OpenApiDocument): Operation[] {
  const found: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const parameters = raw.parameters ?? [];
      const json = raw.requestBody?.content?.['application/json']?.schema;
      found.push({
        name: `${method.toUpperCase()} ${path}`,
        method: method as Operation['method'],
        path,
        operationId: raw.operationId ?? `${method} ${path}`,
        parameters,
        pathParameters: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        body: json ? { required: raw.requestBody?.required ?? false, schema: json } : undefined,
        secured: (raw.security ?? doc.security ?? []).length > 0,
      });
    }
  }
  return found;
}

/** The schema a `$ref` (or a one-element allOf, as Nest writes nested DTOs) points at. */
export function resolve(doc: OpenApiDocument, schema: Schema): Schema {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`The OpenAPI document has no schema ${schema.$ref}`);
    return resolve(doc, target);
  }
  if (schema.allOf?.length === 1) return resolve(doc, { ...schema.allOf[0], ...schema, allOf: [] });
  return schema;
}

/**
 * A value the schema accepts, with every property filled (examples first, as the document shows
 * them to people): a request built from it is one a user would send.
 */
export function exampleOf(doc: OpenApiDocument, raw: Schema): unknown {
  const schema = resolve(doc, raw);
  if (schema.example !== undefined) return structuredClone(schema.example);
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return structuredClone(schema.default);
  const variant = schema.oneOf?.[0] ?? schema.anyOf?.[0];
  if (variant) return exampleOf(doc, variant);
  switch (schema.type ?? (schema.properties ? 'object' : undefined)) {
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        value[name] = exampleOf(doc, property);
      }
      return value;
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        exampleOf(doc, schema.items ?? { type: 'string' }),
      );
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
    case undefined:
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      return schema.type ? 'x'.repeat(Math.max(1, schema.minLength ?? 1)) : {};
    default:
      return {};
  }
}

/** The path with each `{name}` replaced by its value, as given (the caller encodes it). */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`No value for path parameter ${name} of ${path}`);
    return values[name];
  });
}
