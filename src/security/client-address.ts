// The address a request came from, under TRUST_PROXY: the rule express applies to `req.ip` with a
// numeric `trust proxy`, for requests express never sees (the Socket.IO handshake).
import type { IncomingMessage } from 'node:http';

/**
 * The socket's peer, or, with `trustedHops` proxies in front, the address the outermost trusted
 * proxy saw: `X-Forwarded-For` read from the right, one entry per trusted hop. With 0 the header is
 * ignored, since anyone can send it.
 */
export function clientAddress(request: IncomingMessage, trustedHops: number): string {
  const peer = request.socket?.remoteAddress ?? 'unknown';
  if (trustedHops <= 0) return peer;
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  // Nearest first: the peer, then the header from its right end.
  const chain = [peer, ...forwarded.reverse()];
  return chain[Math.min(trustedHops, chain.length - 1)];
}
