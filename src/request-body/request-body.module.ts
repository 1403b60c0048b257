import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { RequestBodyInterceptor } from './request-body.interceptor';
import { RequestBodyReader } from './request-body.reader';

/** JSON bodies, read per route after authentication (see request-body.interceptor.ts). */
@Module({
  providers: [RequestBodyReader, { provide: APP_INTERCEPTOR, useClass: RequestBodyInterceptor }],
})
export class RequestBodyModule {}
