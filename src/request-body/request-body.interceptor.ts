import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { ingestConfig, type IngestConfig } from '../config/configuration';
import { BODY_KIND, OWN_BODY, bodyLimits, type BodyKind, type BodyLimits } from './body-limits';
import { RequestBodyReader } from './request-body.reader';

const BODILESS_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Reads the JSON body of an HTTP request. Interceptors run after every guard, so nothing of a body
 * is read before the route is known and the caller authenticated; unknown routes never read one.
 */
@Injectable()
export class RequestBodyInterceptor implements NestInterceptor {
  private readonly limits: Record<BodyKind, BodyLimits>;

  constructor(
    private readonly reader: RequestBodyReader,
    private readonly reflector: Reflector,
    @Inject(ingestConfig.KEY) ingest: IngestConfig,
  ) {
    this.limits = {
      batch: bodyLimits('batch', ingest),
      preview: bodyLimits('preview', ingest),
      small: bodyLimits('small', ingest),
      suppressions: bodyLimits('suppressions', ingest),
    };
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    // GET and the like carry no meaning in a body: it is left unread (express.json read it).
    if (
      context.getType() === 'http' &&
      !BODILESS_METHODS.has(req.method) &&
      !this.reflector.getAllAndOverride<boolean | undefined>(OWN_BODY, [
        context.getHandler(),
        context.getClass(),
      ])
    ) {
      const kind =
        this.reflector.getAllAndOverride<BodyKind | undefined>(BODY_KIND, [
          context.getHandler(),
          context.getClass(),
        ]) ?? 'small';
      req.body = await this.reader.read(req, http.getResponse<Response>(), this.limits[kind]);
    }
    return next.handle();
  }
}
