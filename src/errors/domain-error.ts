// Domain errors carry a stable code; the global filter turns the code into an HTTP status and body.
// Services throw these, never HttpException, so the same errors read the same over REST and Socket.IO.

export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_ID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  BATCH_NOT_FOUND: 404,
  NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  SUPPRESSION_NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  INVALID_TRANSITION: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  LAST_KEY: 409,
  TOO_MANY_RECIPIENTS: 413,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  LIMIT_REACHED: 429,
  QUOTA_EXCEEDED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Why a detail refused its value, where a client may act on it by code. */
export type DetailCode = 'DESTINATION_NOT_ALLOWED' | 'SUPPRESSED_RECIPIENT';

/**
 * One problem in a request: `path` like `recipients[3].variables.code`, `index` for recipients,
 * `code` where the problem has one of its own.
 */
export interface ErrorDetail {
  path: string;
  message: string;
  index?: number;
  code?: DetailCode;
}

export class DomainError extends Error {
  /** Seconds the client should wait before trying again; REST answers it as Retry-After. */
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.retryAfterSeconds !== undefined)
      this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export class ValidationFailed extends DomainError {
  constructor(message: string, details?: ErrorDetail[]) {
    super('VALIDATION_FAILED', message, details);
  }

  /** A 400 for a list of problems: one sentence, the details say where. */
  static of(details: ErrorDetail[]): ValidationFailed {
    const first = details[0];
    const message =
      details.length === 1 && first
        ? `The request is invalid: ${first.path} ${first.message}.`
        : `The request is invalid: ${details.length} problems, listed in details.`;
    return new ValidationFailed(message, details);
  }
}

export class BatchNotFound extends DomainError {
  constructor(id: string) {
    super('BATCH_NOT_FOUND', `Batch ${id} was not found.`);
  }
}

export class InvalidId extends DomainError {
  constructor(name: string, value: string) {
    super('INVALID_ID', `The ${name} must be a UUID.`, [
      { path: name, message: `"${value.slice(0, 64)}" is not a UUID` },
    ]);
  }
}

export class Unauthorized extends DomainError {
  constructor(message: string, problem: string) {
    super('UNAUTHORIZED', message, [{ path: 'Authorization', message: problem }]);
  }
}

export class KeyNotFound extends DomainError {
  constructor(id: string) {
    super('KEY_NOT_FOUND', `No active API key of this account has id ${id}.`);
  }
}

export class LastKey extends DomainError {
  constructor() {
    super(
      'LAST_KEY',
      "This is the account's last active API key; create another before revoking it.",
    );
  }
}

/** A fixed cap is reached (keys per account, subscriptions per socket). */
export class LimitReached extends DomainError {
  constructor(message: string) {
    super('LIMIT_REACHED', message);
  }
}

export class InvalidTransition extends DomainError {
  constructor(message: string) {
    super('INVALID_TRANSITION', message);
  }
}

export class SuppressionNotFound extends DomainError {
  constructor(phoneNumber: string) {
    const shown = phoneNumber.length > 64 ? `${phoneNumber.slice(0, 64)}…` : phoneNumber;
    super(
      'SUPPRESSION_NOT_FOUND',
      `This account has no suppression entry of its own for ${shown}.`,
    );
  }
}
