// What Bull Board answers before bull-board's router sees a request: its own headers, basic auth,
// and no writes from other sites or while the board is read-only.
import type { NextFunction, Request, Response } from 'express';
import { errorBody } from '../../errors/error-body';
import { dropUnreadBody } from '../../http/unread-body';
import { basicAuth, type LoginThrottle } from './basic-auth';

/**
 * Bull Board's page loads its own scripts and styles, IBM Plex from Google Fonts, and inline styles
 * its React UI writes; it is never framed.
 */
export const BOARD_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  "font-src 'self' data: https://fonts.gstatic.com",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request's `Origin` is this service itself: same host and port as its `Host` header. A
 * missing or opaque (`null`) Origin is not, so a form or `fetch` of another site cannot pass.
 */
export function isSameOrigin(origin: string | undefined, host: string | undefined): boolean {
  // A Host header is `host[:port]` and nothing else; a path or credentials in it would vanish in
  // the URL parse below and compare equal.
  if (!origin || !host || !/^[A-Za-z0-9.\-[\]:]+$/.test(host)) return false;
  try {
    const from = new URL(origin);
    if (from.protocol !== 'http:' && from.protocol !== 'https:') return false;
    // The Host header read with the Origin's scheme, so a default port compares equal either way.
    return from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

export interface BoardGuardOptions {
  password: string;
  /** QUEUE_BOARD_WRITE: retries, cleans, pauses and added jobs allowed. */
  write: boolean;
  /** TRUST_PROXY, for the client address of failed logins. */
  trustedHops: number;
  /** Failed logins per address (AUTH_FAILURES_PER_MINUTE), shared with the API's keys. */
  throttle?: LoginThrottle;
}

/** One middleware for every path under the board's route. */
export function boardGuard({ password, write, trustedHops, throttle }: BoardGuardOptions) {
  const authenticate = basicAuth(password, trustedHops, throttle);
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('Content-Security-Policy', BOARD_POLICY);
    res.setHeader('X-Frame-Options', 'DENY');
    authenticate(req, res, () => {
      if (SAFE_METHODS.has(req.method)) return next();
      if (!isSameOrigin(req.headers.origin, req.headers.host)) {
        return forbid(
          req,
          res,
          'Bull Board takes changes only from its own pages (Origin must be this service).',
        );
      }
      if (!write) {
        return forbid(
          req,
          res,
          'Bull Board is read-only; set QUEUE_BOARD_WRITE=true to change queues from it.',
        );
      }
      next();
    });
  };
}

/** A 403 before bull-board reads the body: what is still on its way is dropped, then closed. */
function forbid(req: Request, res: Response, message: string): void {
  dropUnreadBody(req, res);
  res.status(403).json(errorBody(403, 'FORBIDDEN', message));
}
