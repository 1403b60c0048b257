import { Global, Module } from '@nestjs/common';
import { HttpThrottle } from './http-throttle';
import { ThrottleService } from './throttle.service';

/**
 * The throttles shared by every process through Redis, for any module to ask: ApiKeyGuard, the
 * Socket.IO handshake, Bull Board, /metrics, and later provider webhooks.
 */
@Global()
@Module({
  providers: [ThrottleService, HttpThrottle],
  exports: [ThrottleService, HttpThrottle],
})
export class ThrottleModule {}
