// What a socket may send with `subscribe` and `unsubscribe`, checked by hand: anything a client
// sends is untrusted, and a malformed payload gets an error ack, never a crash.
import { isUuid } from '../../common/uuid-v7';
import type { ErrorCode } from '../../errors/domain-error';

export type Subscription = { kind: 'batch'; batchId: string } | { kind: 'all' };

/** The error ack: the same codes as the REST API's error bodies. */
export interface ErrorAck {
  error: { code: ErrorCode; message: string };
}

export const errorAck = (code: ErrorCode, message: string): ErrorAck => ({
  error: { code, message },
});

/** A subscription, or the error ack that says what is wrong with the payload. */
export function parseSubscription(event: string, payload: unknown): Subscription | ErrorAck {
  const shape = `${event} takes { batchId: "<uuid>" } or { all: true }`;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return errorAck('VALIDATION_FAILED', `${shape}.`);
  }
  const { batchId, all } = payload as Record<string, unknown>;
  if (batchId !== undefined && all !== undefined) {
    return errorAck('VALIDATION_FAILED', `${shape}, not both.`);
  }
  if (all !== undefined) {
    return all === true
      ? { kind: 'all' }
      : errorAck('VALIDATION_FAILED', `${shape}: all must be true.`);
  }
  if (batchId === undefined) return errorAck('VALIDATION_FAILED', `${shape}.`);
  if (typeof batchId !== 'string' || !isUuid(batchId)) {
    return errorAck('INVALID_ID', 'The batchId must be a UUID.');
  }
  return { kind: 'batch', batchId: batchId.toLowerCase() };
}

/** A batch's room names its account too: a socket that joins another account's id hears nothing. */
export const batchRoom = (accountId: string, batchId: string): string =>
  `batch:${accountId}:${batchId}`;
export const accountRoom = (accountId: string): string => `account:${accountId}`;
/** Every socket joins the room of the API key it connected with, so a revocation can reach it. */
export const keyRoom = (keyId: string): string => `key:${keyId}`;

/** Who a room's sockets follow: a batch of an account, or a whole account; undefined for others. */
export function parseFollowedRoom(
  room: string,
): { accountId: string; batchId?: string } | undefined {
  const [kind, accountId, batchId, ...rest] = room.split(':');
  if (rest.length || !accountId) return undefined;
  if (kind === 'batch' && batchId) return { accountId, batchId };
  if (kind === 'account' && batchId === undefined) return { accountId };
  return undefined;
}
