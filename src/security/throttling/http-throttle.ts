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
import { clientAddress } from '../client-address';
import { ThrottleService, type Refusal, type Verdict } from './throttle.service';

const BATCH_CREATION = 'salvo:batch-creation';

/**
 * Counts every call of the route in BATCHES_PER_MINUTE, whatever its outcome: ApiKeyGuard
 * decides before the body is read.
 */
export const CountsAsBatchCreation = (): CustomDecorator => SetMetadata(BATCH_CREATION, true);

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
   * Before a credential is checked: RateLimited when failed authentications locked the client's
   * address. A request without an Authorization header has nothing to guess with and passes.
   */
  async checkLock(request: Request, response: Response): Promise<void> {
    if (!request.headers.authorization) return;
    this.apply(response, await this.throttle.authLock(this.address(request)));
  }

  /** After a credential was refused: counts it against the client's address (not a missing one). */
  async countFailure(request: Request, response: Response): Promise<void> {
    if (!request.headers.authorization) return;
    this.apply(response, await this.throttle.authFailed(this.address(request)));
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

  /** checkLock for Express middleware outside Nest (Bull Board): answers the 429 itself. */
  async refuseIfLocked(request: Request, response: Response): Promise<boolean> {
    try {
      await this.checkLock(request, response);
      return false;
    } catch (error) {
      if (!(error instanceof RateLimited)) throw error;
      response.status(429).json(errorBody(429, 'RATE_LIMITED', error.message));
      return true;
    }
  }

  private address(request: Request): string {
    return clientAddress(request, this.proxy.trustProxy);
  }

  private apply(response: Response, verdict: Verdict): void {
    for (const [name, value] of Object.entries(verdict.headers)) response.setHeader(name, value);
    if (verdict.refusal) throw new RateLimited(verdict.refusal);
  }
}
