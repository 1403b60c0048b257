import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Namespace, Socket } from 'socket.io';
import { AccountsService } from '../../accounts/accounts.service';
import { KeyRevocations } from '../../accounts/key-revocations';
import { keyRoom } from './subscription';

/** How often each API process re-checks the keys of its own sockets. */
export const KEY_SWEEP_INTERVAL_MS = 10_000;

type KeyedSocket = Socket<never, never, never, { keyId?: string }>;

/**
 * Closes the sockets of revoked keys. A revocation made by an API process disconnects the key's
 * room through the Redis adapter, so every API process drops its sockets of that key at once. The
 * safety net: every KEY_SWEEP_INTERVAL_MS each process checks the keys of its own sockets in one
 * query and closes those whose key is no longer active (revoked from the CLI, deleted from the
 * database by hand, or a broadcast lost while Redis was away).
 */
@Injectable()
export class RevokedKeySockets implements OnApplicationShutdown {
  private readonly logger = new Logger(RevokedKeySockets.name);
  private nsp?: Namespace;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private sweeping = false;

  constructor(
    private readonly accounts: AccountsService,
    private readonly revocations: KeyRevocations,
  ) {}

  attach(nsp: Namespace): void {
    this.nsp = nsp;
    nsp.on('connection', (socket: KeyedSocket) => {
      const { keyId } = socket.data;
      if (keyId) void socket.join(keyRoom(keyId));
    });
    this.unsubscribe = this.revocations.subscribe((keyId) =>
      nsp.in(keyRoom(keyId)).disconnectSockets(true),
    );
    this.timer = setInterval(() => void this.sweep(), KEY_SWEEP_INTERVAL_MS).unref();
  }

  /** Closes this process's sockets whose key is no longer active; never rejects. */
  async sweep(): Promise<void> {
    if (!this.nsp || this.sweeping) return;
    this.sweeping = true;
    try {
      const sockets = [...this.nsp.sockets.values()] as KeyedSocket[];
      const keyIds = [...new Set(sockets.map((socket) => socket.data.keyId))].filter(
        (keyId): keyId is string => !!keyId,
      );
      if (!keyIds.length) return;
      const active = await this.accounts.activeKeyIds(keyIds);
      for (const socket of sockets) {
        const { keyId } = socket.data;
        if (keyId && !active.has(keyId)) socket.disconnect(true);
      }
    } catch (error) {
      // Tried again at the next tick.
      this.logger.warn(`Could not re-check the keys of live sockets: ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }
}
