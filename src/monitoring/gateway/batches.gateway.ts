import { Inject, Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { AccountsService, type KeyOwner } from '../../accounts/accounts.service';
import { socketsConfig, type SocketsConfig } from '../../config/configuration';
import { BatchService } from '../../batch/batch.service';
import type { BatchStatusDto } from '../../batch/dto/batch-status.dto';
import { proxyConfig } from '../../config/configuration';
import { DomainError } from '../../errors/domain-error';
import { asServiceUnavailable, isUnavailable } from '../../errors/unavailable';
import { logAuthFailure } from '../../security/auth-failure-log';
import { clientAddress } from '../../security/client-address';
import { ThrottleService } from '../../security/throttling/throttle.service';
import { BATCH_NAMESPACE } from '../../batch/events/batch-notices';
import { MetricsService } from '../../metrics/metrics.service';
import { AccountSockets } from './account-sockets';
import { BatchEventRelay } from './batch-event.relay';
import { RevokedKeySockets } from './revoked-key-sockets';
import { SubscribeLimits } from './subscribe-limits';
import { accountRoom, batchRoom, errorAck, parseSubscription, type ErrorAck } from './subscription';

interface SocketData {
  accountId: string;
  keyId: string;
  limits: SubscribeLimits;
}

type AuthedSocket = Socket<Record<string, never>, Record<string, never>, never, SocketData>;

/**
 * `connect_error` for a refused handshake: `message` is the code, `data` the usual error body
 * (`{ code, message }`, and `retryAfterSeconds` for RATE_LIMITED).
 */
function handshakeError(
  code:
    | 'UNAUTHORIZED'
    | 'INTERNAL'
    | 'SERVICE_UNAVAILABLE'
    | 'LIMIT_REACHED'
    | 'NOT_FOUND'
    | 'RATE_LIMITED',
  message: string,
  extra: { retryAfterSeconds?: number } = {},
): Error {
  return Object.assign(new Error(code), { data: { code, message, ...extra } });
}

/**
 * The `/batches` namespace (protocol in the README): API-key handshake within the account's
 * socket limit, `subscribe` (owned batches only, within the socket's limits) and `unsubscribe`
 * with acks. Events come from BatchEventRelay.
 */
@WebSocketGateway({ namespace: BATCH_NAMESPACE })
export class BatchesGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(BatchesGateway.name);

  constructor(
    private readonly accounts: AccountsService,
    private readonly batches: BatchService,
    private readonly relay: BatchEventRelay,
    private readonly metrics: MetricsService,
    private readonly accountSockets: AccountSockets,
    private readonly revokedKeySockets: RevokedKeySockets,
    @Inject(socketsConfig.KEY) private readonly limits: SocketsConfig,
    private readonly throttle: ThrottleService,
  ) {}

  afterInit(nsp: Namespace): void {
    // Socket.IO's main namespace `/` would take any client, key or not: only /batches exists.
    nsp.server
      .of('/')
      .use((_socket, next) =>
        next(handshakeError('NOT_FOUND', `Connect to the ${BATCH_NAMESPACE} namespace.`)),
      );
    nsp.use((socket, next) => {
      this.admit(socket as AuthedSocket).then(
        () => next(),
        (error: Error) => next(error),
      );
    });
    this.relay.attach(nsp);
    this.revokedKeySockets.attach(nsp);
  }

  handleConnection(): void {
    this.metrics.socketConnected();
  }

  handleDisconnect(socket: AuthedSocket): void {
    void this.accountSockets.release(socket.id);
    this.metrics.socketDisconnected();
  }

  @SubscribeMessage('subscribe')
  async subscribe(
    @ConnectedSocket() socket: AuthedSocket,
    @MessageBody() payload: unknown,
  ): Promise<BatchStatusDto | { ok: true } | ErrorAck> {
    const subscription = parseSubscription('subscribe', payload);
    if ('error' in subscription) return subscription;
    const { accountId, limits } = socket.data;
    const room =
      subscription.kind === 'all'
        ? accountRoom(accountId)
        : batchRoom(accountId, subscription.batchId);
    const following = socket.rooms.has(room);
    // Before any read: a refused subscribe costs the database nothing. (A socket is always in
    // the rooms of its own id and of its key, which are no subscriptions.)
    const refusal = limits.refusal(Date.now(), socket.rooms.size - 2, following);
    if (refusal) return refusal;
    if (subscription.kind === 'all') {
      await socket.join(room);
      return { ok: true };
    }
    try {
      // Ownership first: an unknown or foreign id must leave no trace, neither a room nor any
      // relay state (which would otherwise be made for this account and this batch id).
      if (!following) await this.batches.assertOwned(accountId, subscription.batchId);
      // Gone while its ownership was checked: joining now would leave a dead id in the room.
      if (socket.disconnected) return errorAck('NOT_FOUND', 'The socket has disconnected.');
      // Joined before the read, so that nothing that happens between the read and the join is
      // missed; read in turn with the relay's reads, so that no event after the ack is older.
      await socket.join(room);
      return await this.relay.inTurn({ id: subscription.batchId, accountId }, () =>
        this.batches.findOne(accountId, subscription.batchId),
      );
    } catch (error) {
      if (!following) await socket.leave(room);
      // Unknown and foreign batches alike: BATCH_NOT_FOUND, as over REST; PostgreSQL out of
      // reach SERVICE_UNAVAILABLE, as over REST.
      const known = error instanceof DomainError ? error : asServiceUnavailable(error);
      if (known) return errorAck(known.code, known.message);
      this.logger.error(`subscribe failed: ${(error as Error).message}`, (error as Error).stack);
      return errorAck('INTERNAL', 'The batch could not be read; try again.');
    }
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(
    @ConnectedSocket() socket: AuthedSocket,
    @MessageBody() payload: unknown,
  ): Promise<{ ok: true } | ErrorAck> {
    const subscription = parseSubscription('unsubscribe', payload);
    if ('error' in subscription) return subscription;
    await socket.leave(
      subscription.kind === 'all'
        ? accountRoom(socket.data.accountId)
        : batchRoom(socket.data.accountId, subscription.batchId),
    );
    return { ok: true };
  }

  /** The handshake: a valid API key, and a place among the account's sockets. */
  private async admit(socket: AuthedSocket): Promise<void> {
    await this.authenticate(socket);
    socket.data.limits = new SubscribeLimits(this.limits);
    const { accountId } = socket.data;
    const gone = () => !socket.connected && socket.conn.readyState !== 'open';
    if (!(await this.accountSockets.acquire(accountId, socket.id, gone))) {
      throw handshakeError(
        'LIMIT_REACHED',
        `This account has ${this.limits.maxSocketsPerAccount} sockets connected, the most it may.`,
      );
    }
  }

  private async authenticate(socket: AuthedSocket): Promise<void> {
    const { token } = (socket.handshake.auth ?? {}) as { token?: unknown };
    if (typeof token !== 'string' || !token) {
      logAuthFailure(socket.request, proxyConfig().trustProxy, 'socket.io', 'no token');
      throw handshakeError('UNAUTHORIZED', 'Connect with auth: { token: "<api key>" }.');
    }
    // Failed authentications lock an address on every surface: the key is counted against the
    // address before its lookup, and a locked address refused.
    const address = clientAddress(socket.request, proxyConfig().trustProxy);
    const check = await this.throttle.authAttempt(address);
    if (check.refused?.refusal) {
      const { message, retryAfterSeconds } = check.refused.refusal;
      throw handshakeError('RATE_LIMITED', message, { retryAfterSeconds });
    }
    let owner: KeyOwner | null;
    try {
      owner = await this.accounts.authenticate(token);
    } catch (error) {
      // Not checked: no guess was answered, the point goes back.
      await check.release();
      this.logger.error(`Handshake lookup failed: ${(error as Error).message}`);
      throw handshakeError(
        isUnavailable(error) ? 'SERVICE_UNAVAILABLE' : 'INTERNAL',
        'The API key could not be checked; try again.',
      );
    }
    if (!owner) {
      logAuthFailure(socket.request, proxyConfig().trustProxy, 'socket.io', 'unknown API key');
      check.failed();
      throw handshakeError('UNAUTHORIZED', 'The API key is not valid.');
    }
    await check.release();
    socket.data.accountId = owner.accountId;
    socket.data.keyId = owner.keyId;
  }
}
