// /metrics behind METRICS_TOKEN: a Bearer token compared in constant time, or open when unset.
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import {
  metricsConfig,
  proxyConfig,
  type MetricsConfig,
  type ProxyConfig,
} from '../../config/configuration';
import { Unauthorized } from '../../errors/domain-error';
import { logAuthFailure } from '../../security/auth-failure-log';
import { HttpThrottle } from '../../security/throttling/http-throttle';

/** Whether an Authorization header is `Bearer <token>`; digests compared, so no length leaks. */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  // Compared even without a header, so the answer takes as long whatever was sent.
  return timingSafeEqual(digest(match ? match[1] : ''), digest(token)) && match !== null;
}

@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(
    @Inject(metricsConfig.KEY) private readonly metrics: MetricsConfig,
    @Inject(proxyConfig.KEY) private readonly proxy: ProxyConfig,
    private readonly throttle: HttpThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { token } = this.metrics;
    if (token === undefined) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const response = context.switchToHttp().getResponse<Response>();
    // Failed authentications lock an address on every surface, this one too: counted before the
    // token is compared, refused here when locked.
    const check = await this.throttle.beginCheck(request, response);
    if (bearerTokenMatches(request.headers.authorization, token)) {
      await check.release();
      return true;
    }
    const problem = request.headers.authorization ? 'holds a wrong token' : 'is missing';
    logAuthFailure(request, this.proxy.trustProxy, 'metrics', `Authorization ${problem}`);
    check.failed();
    throw new Unauthorized(
      '/metrics needs "Authorization: Bearer <METRICS_TOKEN>"; API keys do not open it.',
      problem,
    );
  }
}
