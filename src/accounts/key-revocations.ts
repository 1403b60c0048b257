import { Injectable, Logger } from '@nestjs/common';

/**
 * The promise to whoever revokes a key: its live Socket.IO connections, on every API process, are
 * closed within this (monitoring/gateway/revoked-key-sockets keeps it).
 */
export const KEY_SOCKETS_CLOSED_WITHIN_MS = 2_000;

export type KeyRevokedListener = (keyId: string) => void;

/**
 * Tells whoever holds live connections of a key that it was revoked (the Socket.IO gateway), so
 * that Accounts never imports them: they subscribe here.
 */
@Injectable()
export class KeyRevocations {
  private readonly logger = new Logger(KeyRevocations.name);
  private readonly listeners = new Set<KeyRevokedListener>();

  /** Calls `listener` with the id of every key revoked in this process; returns the unsubscribe. */
  subscribe(listener: KeyRevokedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  revoked(keyId: string): void {
    for (const listener of this.listeners) {
      try {
        listener(keyId);
      } catch (error) {
        // The revocation itself stands; the listeners' safety nets catch what this one missed.
        this.logger.warn(`A listener failed on the revocation of key ${keyId}: ${String(error)}`);
      }
    }
  }
}
