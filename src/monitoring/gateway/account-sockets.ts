import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import Redis from 'ioredis';
import {
  redisConfig,
  socketsConfig,
  type RedisConfig,
  type SocketsConfig,
} from '../../config/configuration';
import { withTimeout } from '../../common/with-timeout';
import { REDIS, redisKey } from '../../redis/redis.module';

/** How long a socket stays counted without a heartbeat from its process (overridable in tests). */
export const SOCKET_LEASE_MS = Symbol('SOCKET_LEASE_MS');
const DEFAULT_LEASE_MS = 30_000;
/** A handshake waits at most this for Redis; past it the socket is let in (fail open). */
const CHECK_TIMEOUT_MS = 1_000;

/**
 * Claims a place for a socket if the account has fewer than ARGV[1] live ones: KEYS[1] is a sorted
 * set of socket ids scored by when their lease ends (Redis's clock, ms); expired ones are dropped
 * first, so the sockets of a process that died stop counting once their lease runs out.
 */
const ACQUIRE_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
redis.call('PEXPIRE', KEYS[1], lease)
return 1
`;

/** Renews the leases of this process's sockets ARGV[2..] of one account, for ARGV[1] ms. */
const RENEW_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + lease, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], lease)
return 1
`;

interface Counted {
  accountId: string;
  /** The socket never connected after all, or left without a disconnect being seen. */
  gone: () => boolean;
}

/**
 * MAX_SOCKETS_PER_ACCOUNT across every API process: one sorted set per account in Redis (under
 * REDIS_PREFIX), each socket holding a lease its process renews every third of the lease. A
 * process that crashes leaks nothing: its sockets' leases run out. When Redis cannot answer, the
 * check lets the socket in (with a warning) rather than locking every dashboard out.
 */
@Injectable()
export class AccountSockets implements OnApplicationShutdown {
  private readonly logger = new Logger(AccountSockets.name);
  private readonly counted = new Map<string, Counted>();
  private readonly heartbeat?: NodeJS.Timeout;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(socketsConfig.KEY) private readonly config: SocketsConfig,
    @Inject(redisConfig.KEY) private readonly redisSettings: RedisConfig,
    @Optional() @Inject(SOCKET_LEASE_MS) private readonly leaseMs: number = DEFAULT_LEASE_MS,
  ) {
    if (config.maxSocketsPerAccount > 0) {
      this.heartbeat = setInterval(() => void this.renew(), Math.ceil(leaseMs / 3)).unref();
    }
  }

  /**
   * Counts the socket against its account; false when the account has reached the limit. `gone`
   * tells the heartbeat that a socket admitted here never connected (its client left mid-handshake).
   */
  async acquire(accountId: string, socketId: string, gone: () => boolean): Promise<boolean> {
    const max = this.config.maxSocketsPerAccount;
    if (max === 0) return true;
    this.counted.set(socketId, { accountId, gone });
    try {
      const admitted = await withTimeout(
        this.redis.eval(ACQUIRE_LUA, 1, this.key(accountId), max, this.leaseMs, socketId),
        CHECK_TIMEOUT_MS,
      );
      if (admitted === 1) return true;
      this.counted.delete(socketId);
      return false;
    } catch (error) {
      // Still counted here: the heartbeat adds it once Redis is back.
      this.logger.warn(
        `Could not count the sockets of account ${accountId}; letting this one in: ${(error as Error).message}`,
      );
      return true;
    }
  }

  /** The socket left: its place is free at once. Never rejects. */
  async release(socketId: string): Promise<void> {
    const counted = this.counted.get(socketId);
    if (!counted) return;
    this.counted.delete(socketId);
    try {
      await this.redis.zrem(this.key(counted.accountId), socketId);
    } catch (error) {
      // Its lease runs out by itself.
      this.logger.warn(`Could not uncount socket ${socketId}: ${(error as Error).message}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    // A clean stop frees its places at once; a crash frees them when their leases run out.
    const byAccount = this.byAccount();
    this.counted.clear();
    await withTimeout(
      Promise.all(
        [...byAccount].map(([accountId, ids]) => this.redis.zrem(this.key(accountId), ...ids)),
      ),
      CHECK_TIMEOUT_MS,
    ).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    for (const [socketId, counted] of this.counted) {
      if (counted.gone()) void this.release(socketId);
    }
    try {
      await Promise.all(
        [...this.byAccount()].map(([accountId, ids]) =>
          this.redis.eval(RENEW_LUA, 1, this.key(accountId), this.leaseMs, ...ids),
        ),
      );
    } catch (error) {
      this.logger.warn(`Could not renew the socket leases: ${(error as Error).message}`);
    }
  }

  private byAccount(): Map<string, string[]> {
    const byAccount = new Map<string, string[]>();
    for (const [socketId, { accountId }] of this.counted) {
      const ids = byAccount.get(accountId);
      if (ids) ids.push(socketId);
      else byAccount.set(accountId, [socketId]);
    }
    return byAccount;
  }

  private key(accountId: string): string {
    return redisKey(this.redisSettings, 'sockets', accountId);
  }
}
