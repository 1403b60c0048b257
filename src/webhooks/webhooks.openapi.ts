// Swagger for Twilio's webhooks: people configuring Twilio see both routes, what they take and
// every answer, the refusals included. Twilio sends them; nobody calls them with an API key.
import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorBodyDto } from '../errors/dto/error-body.dto';

const SIGNED =
  'No API key: every call must carry an `X-Twilio-Signature` made with TWILIO_AUTH_TOKEN over `PUBLIC_BASE_URL` plus this path and query, and every posted parameter. ' +
  'A missing or wrong signature is a 403 that changes nothing, and counts against the client address (AUTH_FAILURES_PER_MINUTE wrong signatures a minute, calls being checked included; then 429 until Retry-After). ' +
  'Bodies: application/x-www-form-urlencoded in UTF-8, at most 64 kB. Answers 404, as an unknown route, when Twilio is not configured.';

const ROUTES = {
  status: {
    summary: "Twilio's status callback: a delivery receipt",
    description: `Set as each message's StatusCallback by the Twilio adapter. MessageStatus accepted, scheduled, queued, sending < sent < delivered, read, undelivered, failed (after acceptance: undelivered); other statuses are acknowledged and ignored. Answered 200 once the receipt is durable in PostgreSQL, 503 otherwise (Twilio retries a callback only when it cannot connect, so such a receipt may be lost: the message then ends unknown after DELIVERY_RECEIPT_TIMEOUT_HOURS); an unknown MessageSid is answered 200 too. ${SIGNED}`,
    required: ['MessageSid', 'MessageStatus'],
    properties: {
      MessageSid: { type: 'string', example: 'SM0123456789abcdef0123456789abcdef' },
      MessageStatus: { type: 'string', example: 'delivered' },
      ErrorCode: { type: 'string', example: '30003' },
      ErrorMessage: { type: 'string' },
      AccountSid: { type: 'string' },
      From: { type: 'string' },
      To: { type: 'string' },
    },
    ok: { description: 'The receipt is recorded (or its status ignored). No body.' },
  },
  inbound: {
    summary: "Twilio's incoming message webhook: an SMS sent to one of your numbers",
    description: `Set as "A message comes in" on your Twilio number or Messaging Service. The SMS (From, To, Body, MessageSid) is stored once, however often Twilio posts it, and answered with an empty TwiML response (no reply is sent). ${SIGNED}`,
    required: ['MessageSid', 'From', 'To'],
    properties: {
      MessageSid: { type: 'string', example: 'SM0123456789abcdef0123456789abcdef' },
      From: { type: 'string', example: '+12025550100' },
      To: { type: 'string', example: '+15005550006' },
      Body: { type: 'string', example: 'STOP' },
      AccountSid: { type: 'string' },
    },
    ok: {
      description: 'Stored (or stored before): an empty TwiML response.',
      content: {
        'text/xml': {
          schema: {
            type: 'string',
            example: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
          },
        },
      },
    },
  },
} as const;

const REFUSALS: [number, string][] = [
  [
    400,
    '`VALIDATION_FAILED`: a signed call misses a field or holds one out of bounds; details name it.',
  ],
  [
    403,
    '`FORBIDDEN`: the X-Twilio-Signature header is missing or does not match. Nothing changed.',
  ],
  [404, '`NOT_FOUND`: Twilio is not configured on this service.'],
  [408, '`REQUEST_TIMEOUT`: the body arrived too slowly.'],
  [413, '`PAYLOAD_TOO_LARGE`: the body is larger than 64 kB.'],
  [415, '`UNSUPPORTED_MEDIA_TYPE`: the body is not application/x-www-form-urlencoded in UTF-8.'],
  [
    429,
    '`RATE_LIMITED`: too many calls with a wrong signature from this address this minute; retry after Retry-After.',
  ],
  [
    503,
    '`SERVICE_UNAVAILABLE`: the receipt could not be recorded. Twilio does not retry this by default: the receipt may be lost.',
  ],
];

export function ApiTwilioWebhook(route: keyof typeof ROUTES): MethodDecorator {
  const { summary, description, required, properties, ok } = ROUTES[route];
  return applyDecorators(
    ApiTags('webhooks'),
    ApiOperation({ summary, description, security: [] }),
    ApiConsumes('application/x-www-form-urlencoded'),
    ApiBody({
      schema: { type: 'object', required: [...required], properties, additionalProperties: true },
    }),
    ...(route === 'inbound' ? [ApiProduces('text/xml')] : []),
    ApiResponse({ status: 200, ...ok }),
    ...REFUSALS.filter(([status]) => status !== 503 || route === 'status').map(
      ([status, description]) =>
        ApiResponse({
          status,
          type: ErrorBodyDto,
          description,
          ...(status === 429
            ? {
                headers: {
                  'Retry-After': {
                    description: 'Seconds to wait before trying again.',
                    schema: { type: 'integer' },
                  },
                },
              }
            : {}),
        }),
    ),
  );
}
