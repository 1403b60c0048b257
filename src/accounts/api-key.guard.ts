import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { proxyConfig, type ProxyConfig } from '../config/configuration';
import { Unauthorized } from '../errors/domain-error';
import { logAuthFailure } from '../security/auth-failure-log';
import { HttpThrottle } from '../security/throttling/http-throttle';
import { AccountsService, type KeyOwner } from './accounts.service';

const IS_PUBLIC = 'salvo:public';
/** Opens a route to callers without an API key (health checks, metrics). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export interface AuthenticatedRequest extends Request {
  accountId: string;
  /** The API key that authenticated the request. */
  apiKeyId: string;
}

/**
 * Every HTTP route needs `Authorization: Bearer <api key>` unless marked @Public(); Socket.IO
 * handlers are left to the gateway's handshake. The throttles (security/throttling) are asked here
 * too: the address's auth lock, its failures, and the account's requests and batch creations.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly accounts: AccountsService,
    private readonly reflector: Reflector,
    @Inject(proxyConfig.KEY) private readonly proxy: ProxyConfig,
    private readonly throttle: HttpThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    // Sockets authenticate once, in the Socket.IO handshake (monitoring/gateway).
    if (isPublic || context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    // Counted against the address before its key is looked up; a locked address is refused
    // here, a correct key included.
    const check = await this.throttle.beginCheck(request, response);
    try {
      const owner = await this.ownerOf(request.headers.authorization);
      request.accountId = owner.accountId;
      request.apiKeyId = owner.keyId;
    } catch (error) {
      if (error instanceof Unauthorized) {
        logAuthFailure(
          request,
          this.proxy.trustProxy,
          'api',
          `Authorization ${error.details?.[0]?.message}`,
        );
        check.failed();
      } else {
        // The key could not be checked (the database failed): no guess was answered.
        await check.release();
      }
      throw error;
    }
    await Promise.all([check.release(), this.throttle.countRequest(context, request.accountId)]);
    return true;
  }

  /** The account and key of a `Bearer <active api key>` header; Unauthorized for anything else. */
  private async ownerOf(header: string | undefined): Promise<KeyOwner> {
    if (!header) {
      throw new Unauthorized(
        'The Authorization header is missing; send "Authorization: Bearer <api key>".',
        'is missing',
      );
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new Unauthorized(
        'The Authorization header must read "Bearer <api key>".',
        'must read "Bearer <api key>"',
      );
    }
    const owner = await this.accounts.authenticate(match[1]);
    if (!owner) {
      throw new Unauthorized(
        'The API key in the Authorization header is not valid.',
        'holds an unknown API key',
      );
    }
    return owner;
  }
}
