// How Salvo logs: one JSON line per entry on stdout, with the request id, and nothing secret.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type {
  DestinationStream,
  LevelWithSilent,
  SerializedRequest,
  SerializedResponse,
} from 'pino';
import type { Options } from 'pino-http';
import type { LoggingConfig } from '../config/configuration';
import { maskSecrets } from './mask';
import { assignRequestId } from './request-id';

/**
 * Keys that may hold credentials or message text, removed wherever a log call puts them. The
 * serializers below already keep headers and bodies out of request logs; this catches the rest.
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  'apiKey',
  '*.apiKey',
  'body',
  '*.body',
];

export function loggerParams(config: LoggingConfig): Params {
  return { pinoHttp: [pinoHttpOptions(config), maskedStdout()] };
}

export function pinoHttpOptions(config: LoggingConfig): Options {
  return {
    level: config.level,
    // "info" reads better than 30 for people and log tools alike.
    formatters: { level: (label: string) => ({ level: label }) },
    genReqId: assignRequestId,
    customAttributeKeys: { reqId: 'requestId' },
    // Lines logged while handling a request carry only its id; the request line has the rest.
    quietReqLogger: true,
    customLogLevel: requestLogLevel,
    serializers: {
      req: (req: SerializedRequest) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: SerializedResponse) => ({ statusCode: res.statusCode }),
    },
    redact: { paths: REDACTED_PATHS, remove: true },
  };
}

/**
 * Errors and refusals always show. Providers' callbacks come at twice the send rate and say nothing
 * a person reads line by line, so an accepted one is logged at debug (README, "Logs").
 */
export function requestLogLevel(
  req: IncomingMessage,
  res: ServerResponse,
  error: Error | undefined,
): LevelWithSilent {
  if (error || res.statusCode >= 500) return 'error';
  if (res.statusCode >= 400) return 'warn';
  // Express matches routes whatever their case, so a prefix is compared in lower case.
  return req.url?.toLowerCase().startsWith('/webhooks/') ? 'debug' : 'info';
}

/**
 * stdout, with every phone number and API key masked in the finished line: whatever the message,
 * its fields, an error's stack or a request's URL held, nothing escapes (see docs/DECISIONS.md).
 */
export function maskedStdout(
  out: { write(text: string): unknown } = process.stdout,
): DestinationStream {
  return { write: (line: string) => void out.write(maskSecrets(line)) };
}
