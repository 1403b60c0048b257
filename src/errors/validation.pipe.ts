import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { bodyShapeProblem } from './body-shape';
import { ValidationFailed, type ErrorDetail } from './domain-error';

/**
 * ValidationPipe, but a body is first checked without recursion (body-shape.ts): class-transformer
 * and the pipe walk it recursively, and turn "__proto__" keys into prototypes. Routes that take
 * `unknown` (POST /api/batch, validated by hand) skip both.
 */
class ShapeCheckingValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && this.toValidate(metadata)) {
      const problem = bodyShapeProblem(value);
      if (problem) throw ValidationFailed.of([problem]);
    }
    return super.transform(value, metadata);
  }
}

/** Validates DTOs (unknown fields rejected) and reports every problem with its path. */
export function createValidationPipe(): ValidationPipe {
  return new ShapeCheckingValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => ValidationFailed.of(flatten(errors)),
  });
}

function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const error of errors) {
    const path = parent
      ? /^\d+$/.test(error.property)
        ? `${parent}[${error.property}]`
        : `${parent}.${error.property}`
      : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      details.push({ path, message: stripProperty(message, error.property) });
    }
    if (error.children?.length) details.push(...flatten(error.children, path));
  }
  return details;
}

/** class-validator starts messages with the property name; the detail's path already says it. */
function stripProperty(message: string, property: string): string {
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}
