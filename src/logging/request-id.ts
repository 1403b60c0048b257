// The request id: the caller's X-Request-Id when it is a sane value, else a new UUID; echoed back.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startTime } from 'pino-http';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Short and plain enough to copy into a log line or a search box as it is. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Gives the request its id and answers it in the response header. pino-http's `genReqId`. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const id = requestIdFrom(req.headers['x-request-id']);
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

/**
 * Mounted before the body parser, so a request refused while its body is read (413, invalid JSON)
 * still carries its id, and the logged response time includes reading the body.
 */
export function requestIdMiddleware(
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
): void {
  req.id = assignRequestId(req, res);
  res[startTime] = Date.now();
  next();
}

/** The id given to the request above, if it went through it. */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return typeof req.id === 'string' ? req.id : undefined;
}
