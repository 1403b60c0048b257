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
} from '../config/configuration';
import { DomainError } from '../errors/domain-error';
import { dropUnreadBody } from '../http/unread-body';
import { logAuthFailure } from '../security/auth-failure-log';
import { clientAddress } from '../security/client-address';
import { RateLimited } from '../security/throttling/http-throttle';
import { ThrottleService, type Verdict } from '../security/throttling/throttle.service';
import { readFormBody, type FormLimits } from './form-body';

/** Twilio's callbacks are a few hundred bytes; an inbound SMS at most 1600 characters. */
export const WEBHOOK_BODY_LIMITS: FormLimits = {
  bytes: 64 * 1024,
  // Twilio posts a few dozen (an inbound MMS with its media and places: under 100).
  parameters: 200,
  describe: '64 kB',
  timeoutMs: 10_000,
};

export const SIGNATURE_HEADER = 'x-twilio-signature';

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
   * webhook-signature throttle (a point taken before the check, given back when the signature
   * is valid; past the limit a 429); the form body (415, 413, 408); the signature over every
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
    const url = `${settings.publicBaseUrl}${this.routePath(context)}${queryOf(req.originalUrl)}`;
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
