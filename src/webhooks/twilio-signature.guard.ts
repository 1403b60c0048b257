// The door of Twilio's webhooks (README, "Connecting Twilio"): nothing is acted on before the
// address's throttle, a bounded body and a valid X-Twilio-Signature.
import {
  CanActivate,
  ExecutionContext,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import {
  proxyConfig,
  twilioConfig,
  type ProxyConfig,
  type TwilioConfig,
  type TwilioSettings,
} from '../config/configuration';
import { DomainError } from '../errors/domain-error';
import { dropUnreadBody } from '../http/unread-body';
import { logAuthFailure } from '../security/auth-failure-log';
import { clientAddress } from '../security/client-address';
import { RateLimited } from '../security/throttling/http-throttle';
import { ThrottleService, type Verdict } from '../security/throttling/throttle.service';
import { readFormBody, type FormLimits, type FormParams } from './form-body';

/** Twilio's callbacks are a few hundred bytes; an inbound SMS at most 1600 characters. */
export const WEBHOOK_BODY_LIMITS: FormLimits = {
  bytes: 64 * 1024,
  // Twilio posts a few dozen (an inbound MMS with its media and places: under 100).
  parameters: 200,
  describe: '64 kB',
  timeoutMs: 10_000,
};

export const SIGNATURE_HEADER = 'x-twilio-signature';

/**
 * What an address past its limit may still post: a callback's size (Twilio's are a few hundred
 * bytes), announced, and checked only when it bears a signature of the right shape (base64 of an
 * HMAC-SHA1). Twilio posts every account's webhooks from shared addresses, so anyone with a Twilio
 * account can make those addresses fail here; refusing a genuine callback for it would lose it
 * (Twilio does not retry a 429).
 */
export const LOCKED_BODY_LIMITS: FormLimits = {
  ...WEBHOOK_BODY_LIMITS,
  bytes: 4 * 1024,
  describe: '4 kB',
};
const SIGNATURE_SHAPE = /^[A-Za-z0-9+/]{27}=$/;

@Injectable()
export class TwilioSignatureGuard implements CanActivate {
  constructor(
    @Inject(twilioConfig.KEY) private readonly twilio: TwilioConfig,
    @Inject(proxyConfig.KEY) private readonly proxy: ProxyConfig,
    private readonly throttle: ThrottleService,
    private readonly reflector: Reflector,
  ) {}

  /**
   * In this order: 404 as an unknown route when Twilio is not configured; the address's
   * webhook-signature throttle (failures counted; past the limit a 429, unless the call is small
   * and validly signed: verifiedWhileLocked); the form body (415, 413, 408); the signature over every
   * posted parameter and PUBLIC_BASE_URL plus the route's path and the query as received (403,
   * its point kept). The parameters are then the request's body.
   */
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const res = context.switchToHttp().getResponse<Response>();
    const settings = this.twilio.settings;
    if (!settings) {
      dropUnreadBody(req, res);
      throw new NotFoundException(`Cannot ${req.method} ${req.originalUrl}`);
    }
    const check = await this.throttle.webhookAttempt(clientAddress(req, this.proxy.trustProxy));
    if (check.refused) {
      const verified = await this.verifiedWhileLocked(settings, context, req, res);
      if (verified) {
        req.body = verified;
        return true;
      }
      apply(res, check.refused);
      dropUnreadBody(req, res);
      throw new RateLimited(check.refused.refusal!);
    }
    let params;
    try {
      params = await readFormBody(req, res, WEBHOOK_BODY_LIMITS);
    } catch (error) {
      // Nothing was verified: the call counts as a failure, as a wrong signature does.
      apply(res, check.failed());
      throw error;
    }
    const url = this.signedUrl(settings, context, req);
    const signature = req.headers[SIGNATURE_HEADER];
    if (
      typeof signature !== 'string' ||
      !validateRequest(settings.authToken, signature, url, params)
    ) {
      apply(res, check.failed());
      const problem = typeof signature === 'string' ? 'does not match' : 'is missing';
      logAuthFailure(req, this.proxy.trustProxy, 'webhooks', `X-Twilio-Signature ${problem}`);
      throw new DomainError(
        'FORBIDDEN',
        `The X-Twilio-Signature header ${problem}: this call is not signed by the configured Twilio account for this webhook's address (PUBLIC_BASE_URL).`,
        [{ path: 'X-Twilio-Signature', message: problem }],
      );
    }
    await check.release();
    req.body = params;
    return true;
  }

  /**
   * A call from an address past its limit: read and checked only when small, announced and with a
   * signature of the right shape; its parameters when the signature is valid, else null (429,
   * nothing logged: the address is already locked, and each line would be the caller's to spend).
   */
  private async verifiedWhileLocked(
    settings: TwilioSettings,
    context: ExecutionContext,
    req: Request,
    res: Response,
  ): Promise<FormParams | null> {
    const signature = req.headers[SIGNATURE_HEADER];
    const length = Number(req.headers['content-length']);
    if (typeof signature !== 'string' || !SIGNATURE_SHAPE.test(signature)) return null;
    if (!(length > 0 && length <= LOCKED_BODY_LIMITS.bytes)) return null;
    let params: FormParams;
    try {
      params = await readFormBody(req, res, LOCKED_BODY_LIMITS);
    } catch {
      return null;
    }
    return validateRequest(
      settings.authToken,
      signature,
      this.signedUrl(settings, context, req),
      params,
    )
      ? params
      : null;
  }

  /** PUBLIC_BASE_URL + the route's own path + the query as received: what Twilio signed. */
  private signedUrl(settings: TwilioSettings, context: ExecutionContext, req: Request): string {
    return `${settings.publicBaseUrl}${this.routePath(context)}${queryOf(req.originalUrl)}`;
  }

  /** The route's own path (`/webhooks/twilio/status`), whatever case or slash the request used. */
  private routePath(context: ExecutionContext): string {
    const parts = [
      this.reflector.get<string>(PATH_METADATA, context.getClass()),
      this.reflector.get<string>(PATH_METADATA, context.getHandler()),
    ];
    return `/${parts.map((part) => part.replace(/^\/+|\/+$/g, '')).join('/')}`;
  }
}

/** The query string exactly as received, `?` included; empty without one. */
function queryOf(originalUrl: string): string {
  const start = originalUrl.indexOf('?');
  return start === -1 ? '' : originalUrl.slice(start);
}

function apply(res: Response, verdict: Verdict): void {
  for (const [name, value] of Object.entries(verdict.headers)) res.setHeader(name, value);
}
