import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationFailed, type ErrorDetail } from './domain-error';

/** Validates DTOs (unknown fields rejected) and reports every problem with its path. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
