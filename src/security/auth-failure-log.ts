// One warning line per refused credential, on every surface that checks one, with where it came from.
import { Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { clientAddress } from './client-address';

/** Where a credential was refused: the REST API, Bull Board, /metrics, a Socket.IO handshake, or a provider webhook's signature. */
export type AuthSurface = 'api' | 'queue-board' | 'metrics' | 'socket.io' | 'webhooks';

const logger = new Logger('Authentication');

/**
 * Logs a refused credential once, at warn, with the client address under TRUST_PROXY. Never the
 * credential itself: `reason` says only what was wrong with it.
 */
export function logAuthFailure(
  request: IncomingMessage,
  trustedHops: number,
  surface: AuthSurface,
  reason: string,
): void {
  logger.warn(
    { event: 'auth.failed', surface, clientAddress: clientAddress(request, trustedHops), reason },
    'Authentication failed',
  );
}
