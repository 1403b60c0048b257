import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RequestBodyInterceptor } from './request-body.interceptor';
import { RequestBodyReader } from './request-body.reader';

/**
 * JSON bodies, read per route after authentication (see request-body.interceptor.ts). Global: a
 * route reading another kind of large body (a CSV import) takes its turn from the same reader.
 */
@Global()
@Module({
  providers: [RequestBodyReader, { provide: APP_INTERCEPTOR, useClass: RequestBodyInterceptor }],
  exports: [RequestBodyReader],
})
export class RequestBodyModule {}
