// Swagger: the error responses a route can give, all with the one error body.
import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS, type ErrorCode } from './domain-error';
import { ErrorBodyDto } from './dto/error-body.dto';

const DESCRIPTIONS: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request is invalid; details name each field (and recipient index).',
  INVALID_ID: 'The id in the path is not a UUID.',
  UNAUTHORIZED: 'The Authorization header is missing or its API key is not valid.',
  FORBIDDEN:
    'The credentials are valid but this request is not allowed (an operator page), or a provider webhook is not signed by the configured account.',
  BATCH_NOT_FOUND: 'No batch of this account has this id.',
  NOT_FOUND: 'No such route.',
  KEY_NOT_FOUND: 'No active API key of this account has this id.',
  SUPPRESSION_NOT_FOUND:
    'The account has no entry of its own for this number (deployment-wide entries are lifted by an opt-in reply such as START, not here).',
  REQUEST_TIMEOUT: 'The request body stopped arriving, or arrived too slowly for its size.',
  INVALID_TRANSITION: 'The batch cannot make this transition in its current status.',
  IDEMPOTENCY_IN_PROGRESS: 'A request with this Idempotency-Key is still in flight.',
  LAST_KEY: "The account's last active API key cannot be revoked; create another first.",
  TOO_MANY_RECIPIENTS: 'More recipients than MAX_RECIPIENTS_PER_REQUEST.',
  PAYLOAD_TOO_LARGE:
    "The body is larger than this route's limit (for POST /api/batch, MAX_BODY_MB).",
  UNSUPPORTED_MEDIA_TYPE:
    'The body is not of the type this route reads (provider webhooks: application/x-www-form-urlencoded in UTF-8).',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was used with a different body.',
  RATE_LIMITED:
    'A throttle refused the request: REQUESTS_PER_MINUTE per account, BATCHES_PER_MINUTE per account (POST /api/batch), or AUTH_FAILURES_PER_MINUTE failed authentications per client address, credentials being checked counting too (then every credential from it is refused, a correct key too); retry after Retry-After. RateLimit-Policy and RateLimit name the throttle.',
  LIMIT_REACHED:
    'A fixed limit is reached (for example active API keys per account, or subscriptions per socket).',
  QUOTA_EXCEEDED:
    "The account's daily message or segment quota (UTC day) would be passed; details say what is left, Retry-After the seconds to the next UTC midnight.",
  SERVICE_UNAVAILABLE:
    'The service is busy (for example with large bodies), or cannot reach its database or Redis for a moment (any route may answer this while one is away); retry after Retry-After.',
  INTERNAL: 'An unexpected error; the body carries a correlationId found in the log.',
};

/** What a 429 carries besides its body (security/throttling). */
const THROTTLE_HEADERS = {
  'Retry-After': {
    description: 'Seconds to wait before trying again (whole seconds, rounded up).',
    schema: { type: 'integer' },
  },
  'RateLimit-Policy': {
    description:
      'The throttles of this route (draft-ietf-httpapi-ratelimit-headers), e.g. `"requests";q=1200;w=60, "batches";q=60;w=60`; also on successful answers. `auth-failures` on a refused credential.',
    schema: { type: 'string' },
  },
  RateLimit: {
    description:
      'What is left of each throttle and the seconds until its window starts again, e.g. `"requests";r=0;t=42`; also on successful answers.',
    schema: { type: 'string' },
  },
};

/** What a 503 carries besides its body. */
const RETRY_AFTER_HEADER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer' },
  },
};

/**
 * Documents the given error codes, grouped by HTTP status, plus what every authenticated route
 * can answer: 401, 429 `RATE_LIMITED` (every one is throttled), 503 `SERVICE_UNAVAILABLE` (every
 * one reads PostgreSQL) and 500.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const all: ErrorCode[] = [
    ...new Set<ErrorCode>([
      ...codes,
      'UNAUTHORIZED',
      'RATE_LIMITED',
      'SERVICE_UNAVAILABLE',
      'INTERNAL',
    ]),
  ];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of all) {
    byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, group]) =>
      ApiResponse({
        status,
        type: ErrorBodyDto,
        description: group.map((code) => `\`${code}\`: ${DESCRIPTIONS[code]}`).join(' '),
        ...(status === 429 ? { headers: THROTTLE_HEADERS } : {}),
        ...(status === 503 ? { headers: RETRY_AFTER_HEADER } : {}),
      }),
    ),
  );
}
