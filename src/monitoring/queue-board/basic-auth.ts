// HTTP basic auth for operator pages: one user, a password from ADMIN_PASSWORD, compared in
// constant time. API keys open nothing here: these pages show every account's work.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { errorBody } from '../../errors/error-body';
import { logAuthFailure } from '../../security/auth-failure-log';

export const ADMIN_USER = 'admin';

/** Whether an Authorization header holds `user:password` in the Basic scheme. */
export function basicCredentialsMatch(
  header: string | undefined,
  user: string,
  password: string,
): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  // Compared even without a header, so the answer takes as long whatever was sent.
  const given = match ? Buffer.from(match[1], 'base64').toString('utf8') : '';
  return sameSecret(given, `${user}:${password}`);
}

/** Compares digests, so neither the contents nor the length of the secret leak through timing. */
function sameSecret(a: string, b: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** Failed logins per client address (HttpThrottle), shared with every other credential. */
export interface LoginThrottle {
  /** Answers 429 itself and resolves true when the client's address is locked. */
  refuseIfLocked(req: Request, res: Response): Promise<boolean>;
  countFailure(req: Request, res: Response): Promise<void>;
}

/**
 * Express middleware: lets the request through with the right credentials, else a 401 asking for
 * them, logged as a failed authentication (`trustedHops`: TRUST_PROXY, for the client address)
 * and counted by `throttle`, which refuses a locked address before its credentials are compared.
 */
export function basicAuth(
  password: string,
  trustedHops: number,
  throttle?: LoginThrottle,
  realm = 'Salvo operations',
) {
  const refuse = async (req: Request, res: Response): Promise<void> => {
    const reason = req.headers.authorization ? 'wrong credentials' : 'no credentials';
    logAuthFailure(req, trustedHops, 'queue-board', reason);
    // Counted before the answer, so the next request, on any process, already sees it.
    await throttle?.countFailure(req, res);
    res
      .status(401)
      .setHeader('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`)
      .json(
        errorBody(
          401,
          'UNAUTHORIZED',
          `This page needs HTTP basic auth as user "${ADMIN_USER}" with ADMIN_PASSWORD; API keys do not open it.`,
        ),
      );
  };
  const authenticate = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (throttle && (await throttle.refuseIfLocked(req, res))) return;
    if (basicCredentialsMatch(req.headers.authorization, ADMIN_USER, password)) return next();
    await refuse(req, res);
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    authenticate(req, res, next).catch(next);
  };
}
