// The throttles on HTTP: what ApiKeyGuard, the /metrics guard and Bull Board's middleware ask
// before and after they check a credential, with the answer's headers and its 429.
import {
  ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
  type CustomDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { proxyConfig, type ProxyConfig } from '../../config/configuration';
import { DomainError } from '../../errors/domain-error';
import { errorBody } from '../../errors/error-body';
import { dropUnreadBody } from '../../http/unread-body';
import { clientAddress } from '../client-address';
import { ThrottleService, type Refusal, type Verdict } from './throttle.service';

const BATCH_CREATION = 'salvo:batch-creation';

/**
 * Counts every call of the route in BATCHES_PER_MINUTE, whatever its outcome: ApiKeyGuard
 * decides before the body is read.
 */
export const CountsAsBatchCreation = (): CustomDecorator => SetMetadata(BATCH_CREATION, true);

/** A credential being checked, counted against its address: settle it once. */
export interface HttpCredentialCheck {
  /** The credential was accepted, or could not be checked: its point is given back. Never throws. */
  release(): Promise<void>;
  /** The credential was refused: its point stays; sets the 401's auth-failures headers. */
  failed(): void;
}

const UNCOUNTED: HttpCredentialCheck = {
  release: () => Promise.resolve(),
  failed: () => undefined,
};

/** 429 RATE_LIMITED: a throttle refused the request; the answer's headers say which and until when. */
export class RateLimited extends DomainError {
  constructor(readonly refusal: Refusal) {
    super('RATE_LIMITED', refusal.message);
  }
}

@Injectable()
export class HttpThrottle {
  constructor(
    private readonly throttle: ThrottleService,
    private readonly reflector: Reflector,
    @Inject(proxyConfig.KEY) private readonly proxy: ProxyConfig,
  ) {}

  /**
   * Before a credential is checked: counts it against the client's address (AUTH_FAILURES_PER_MINUTE,
   * ThrottleService.authAttempt), or throws RateLimited, with the 429's headers set, when the
   * address is locked. Settle what it answers: `release()` once the credential is accepted (or
   * could not be checked), `failed()` once it is refused, which sets the 401's auth-failures
   * headers. Successful answers carry none of them. A request without an Authorization header
   * has nothing to guess with: nothing is counted.
   */
  async beginCheck(request: Request, response: Response): Promise<HttpCredentialCheck> {
    if (!request.headers.authorization) return UNCOUNTED;
    const check = await this.throttle.authAttempt(this.address(request));
    if (check.refused) this.apply(response, check.refused);
    return {
      release: () => check.release(),
      failed: () => this.apply(response, check.failed()),
    };
  }

  /**
   * beginCheck for Express middleware outside Nest (Bull Board): answers the 429 itself, leaving
   * an unread body as the API's refusals do, and resolves undefined then.
   */
  async beginCheckOrRefuse(
    request: Request,
    response: Response,
  ): Promise<HttpCredentialCheck | undefined> {
    try {
      return await this.beginCheck(request, response);
    } catch (error) {
      if (!(error instanceof RateLimited)) throw error;
      dropUnreadBody(request, response);
      response.status(429).json(errorBody(429, 'RATE_LIMITED', error.message));
      return undefined;
    }
  }

  /** After the API key was accepted: the account's requests, and its batch creations on that route. */
  async countRequest(context: ExecutionContext, accountId: string): Promise<void> {
    const batchCreation =
      this.reflector.getAllAndOverride<boolean | undefined>(BATCH_CREATION, [
        context.getHandler(),
        context.getClass(),
      ]) ?? false;
    const verdict = await this.throttle.accountRequest(accountId, batchCreation);
    this.apply(context.switchToHttp().getResponse<Response>(), verdict);
  }

  private address(request: Request): string {
    return clientAddress(request, this.proxy.trustProxy);
  }

  private apply(response: Response, verdict: Verdict): void {
    for (const [name, value] of Object.entries(verdict.headers)) response.setHeader(name, value);
    if (verdict.refusal) throw new RateLimited(verdict.refusal);
  }
}
