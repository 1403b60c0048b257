// HTTP basic auth for operator pages: one user, a password from ADMIN_PASSWORD, compared in
// constant time. API keys open nothing here: these pages show every account's work.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { errorBody } from '../../errors/error-body';
import { dropUnreadBody } from '../../http/unread-body';
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
  /**
   * Before the credentials are compared: counts them against the client's address, or answers
   * 429 itself and resolves undefined when the address is locked.
   */
  beginCheckOrRefuse(req: Request, res: Response): Promise<LoginCheck | undefined>;
}

/** Credentials being compared: `release()` when they match, `failed()` (the 401's headers) if not. */
export interface LoginCheck {
  release(): Promise<void>;
  failed(): void;
}

const UNCOUNTED: LoginCheck = { release: () => Promise.resolve(), failed: () => undefined };

/**
 * Express middleware: lets the request through with the right credentials, else a 401 asking for
 * them, logged as a failed authentication (`trustedHops`: TRUST_PROXY, for the client address)
 * and counted by `throttle`, which counts every credential before it is compared and refuses a
 * locked address. A refusal leaves the body unread, as the API's error filter does.
 */
export function basicAuth(
  password: string,
  trustedHops: number,
  throttle?: LoginThrottle,
  realm = 'Salvo operations',
) {
  const refuse = (req: Request, res: Response): void => {
    const reason = req.headers.authorization ? 'wrong credentials' : 'no credentials';
    logAuthFailure(req, trustedHops, 'queue-board', reason);
    dropUnreadBody(req, res);
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
    // Counted before the comparison (on every process), so parallel guesses count against each other.
    const check = throttle ? await throttle.beginCheckOrRefuse(req, res) : UNCOUNTED;
    if (!check) return;
    if (basicCredentialsMatch(req.headers.authorization, ADMIN_USER, password)) {
      await check.release();
      return next();
    }
    check.failed();
    refuse(req, res);
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    authenticate(req, res, next).catch(next);
  };
}
