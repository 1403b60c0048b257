import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Namespace, Socket } from 'socket.io';
import { AccountsService } from '../../accounts/accounts.service';
import { KEY_SOCKETS_CLOSED_WITHIN_MS, KeyRevocations } from '../../accounts/key-revocations';
import { withTimeout } from '../../common/with-timeout';
import { keyRoom } from './subscription';

/**
 * How often each API process re-checks the keys of its own sockets: with the query's few
 * milliseconds, under KEY_SOCKETS_CLOSED_WITHIN_MS (2 s) whatever the broadcast missed.
 */
export const KEY_SWEEP_INTERVAL_MS = 1_500;
/**
 * A sweep stops waiting for its query after this long (and warns); the next sweep starts once that
 * query has settled.
 */
export const KEY_SWEEP_TIMEOUT_MS = 1_000;
/**
 * A handshake that took longer than this between its start and its join of the key room may have
 * checked its key before a revocation whose broadcast it then missed: its key is checked at once
 * rather than at the next sweep.
 */
export const SLOW_HANDSHAKE_MS = KEY_SOCKETS_CLOSED_WITHIN_MS - KEY_SWEEP_INTERVAL_MS - 250;

type KeyedSocket = Socket<never, never, never, { keyId?: string }>;

/**
 * Closes the sockets of revoked keys within KEY_SOCKETS_CLOSED_WITHIN_MS. A revocation made by an
 * API process disconnects the key's room through the Redis adapter, so every API process drops its
 * sockets of that key at once. Every KEY_SWEEP_INTERVAL_MS each process also checks the keys of its
 * own sockets in one indexed query and closes those whose key is no longer active, which keeps the
 * promise for what the broadcast misses: a handshake that checked its key just before the
 * revocation and joined the key's room just after the broadcast, a revocation from the CLI while
 * Redis was away, a key deleted from the database by hand.
 */
@Injectable()
export class RevokedKeySockets implements OnApplicationShutdown {
  private readonly logger = new Logger(RevokedKeySockets.name);
  private nsp?: Namespace;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private sweeping = false;
  /** A sweep was asked for while one was under way. */
  private again = false;

  constructor(
    private readonly accounts: AccountsService,
    private readonly revocations: KeyRevocations,
  ) {}

  attach(nsp: Namespace): void {
    this.nsp = nsp;
    nsp.on('connection', (socket: KeyedSocket) => {
      const { keyId } = socket.data;
      if (!keyId) return;
      void socket.join(keyRoom(keyId));
      // `issued` is when the handshake began, before its key was looked up. Slow handshakes come
      // together when the database is slow: they ask for one sweep, never a query each.
      if (Date.now() - socket.handshake.issued > SLOW_HANDSHAKE_MS) void this.sweep();
    });
    this.unsubscribe = this.revocations.subscribe((keyId) =>
      nsp.in(keyRoom(keyId)).disconnectSockets(true),
    );
    this.timer = setInterval(() => void this.sweep(), KEY_SWEEP_INTERVAL_MS).unref();
  }

  /**
   * Closes this process's sockets whose key is no longer active; never rejects. One query at a
   * time, held until the query itself settles (not only its timeout), so a stalled database gets
   * one query per process, not one per tick; a sweep asked for meanwhile runs when it settles.
   */
  async sweep(): Promise<void> {
    if (!this.nsp) return;
    if (this.sweeping) {
      this.again = true;
      return;
    }
    this.sweeping = true;
    const sockets = [...this.nsp.sockets.values()] as KeyedSocket[];
    const keyIds = [...new Set(sockets.map((socket) => socket.data.keyId))].filter(
      (keyId): keyId is string => !!keyId,
    );
    const query = keyIds.length ? this.accounts.activeKeyIds(keyIds) : Promise.resolve(null);
    try {
      const active = await withTimeout(query, KEY_SWEEP_TIMEOUT_MS);
      for (const socket of sockets) {
        const { keyId } = socket.data;
        if (active && keyId && !active.has(keyId)) socket.disconnect(true);
      }
    } catch (error) {
      // Tried again once this query has settled.
      this.logger.warn(`Could not re-check the keys of live sockets: ${(error as Error).message}`);
    }
    // Registered after the sockets were closed, so a sweep asked for meanwhile sees them gone.
    void query.then(
      () => this.settled(),
      () => this.settled(),
    );
  }

  private settled(): void {
    this.sweeping = false;
    if (!this.again) return;
    this.again = false;
    void this.sweep();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.unsubscribe?.();
  }
}
