import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { withTimeout } from '../../common/with-timeout';
import { dispatchConfig, type DispatchConfig } from '../../config/configuration';
import { DispatchRepository, type HeldClaim } from './dispatch.repository';

/** A failed renewal is tried again this soon (or at CLAIM_RENEW_MS, if sooner). */
const RETRY_MS = 1_000;

interface Lease {
  claim: HeldClaim;
  /** Until when, on this process's monotonic clock, the claim is surely still this worker's. */
  until: number;
  /** When the statement that last set its lease was sent, on the same clock. */
  since: number;
}

const keyOf = ({ batchId, seq }: Pick<HeldClaim, 'batchId' | 'seq'>) => `${batchId}/${seq}`;

/**
 * The claims this worker holds, from the claim until their result is written or they are given
 * back, and their leases as this process can be sure of them: a lease counts from the moment
 * *before* the statement that set it was sent, on a monotonic clock (which runs on while the
 * process is stopped), so `leftMs` never overstates it. Every CLAIM_RENEW_MS the claims held for
 * half an interval or more are renewed in one statement (most claims live under a second and are
 * never renewed); a renewal that fails is logged and tried again within a second. A claim whose
 * lease may have run out is never renewed, and is not called (DispatchService, the pre-call fence):
 * another worker may have taken it over.
 */
@Injectable()
export class ClaimLeases implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ClaimLeases.name);
  private readonly leases = new Map<string, Lease>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly repository: DispatchRepository,
    @Inject(dispatchConfig.KEY) private readonly config: DispatchConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(this.config.claimRenewMs);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** This process's monotonic clock: read it right before a claim statement is sent. */
  now(): number {
    return performance.now();
  }

  /** Claims just taken by a statement sent at `sentAt` (`now()`). */
  hold(claims: readonly HeldClaim[], sentAt: number): void {
    for (const claim of claims) {
      this.leases.set(keyOf(claim), {
        claim,
        until: sentAt + this.config.claimLeaseMs,
        since: sentAt,
      });
    }
  }

  /** Claims whose result was written or which were given back: no longer renewed. */
  forget(claims: readonly HeldClaim[]): void {
    for (const claim of claims) {
      const key = keyOf(claim);
      // A later claim of the same message by this worker stays.
      if (this.leases.get(key)?.claim.token === claim.token) this.leases.delete(key);
    }
  }

  /** How long the claim surely stays this worker's; 0 or less when it may have run out. */
  leftMs(claim: HeldClaim): number {
    const lease = this.leases.get(keyOf(claim));
    if (lease?.claim.token !== claim.token) return 0;
    return lease.until - this.now();
  }

  /**
   * Whether the claim is surely this worker's for `needMs` more (a provider request and its
   * result's write): when less is left, the claim alone is renewed on the spot, within a second.
   * False when it may have run out, or the renewal did not get through in time.
   */
  async ensure(claim: HeldClaim, needMs: number): Promise<boolean> {
    const left = this.leftMs(claim);
    if (left >= needMs) return true;
    if (left <= 0) return false;
    const sentAt = this.now();
    try {
      // No longer than the lease can spare beyond the call: a later answer would not be enough.
      const spareMs = Math.max(1, Math.min(RETRY_MS, this.config.claimLeaseMs - needMs));
      const renewed = await withTimeout(this.repository.renewClaims([claim]), spareMs);
      this.extend(renewed, sentAt);
    } catch {
      return false; // the periodic renewal says why, if it keeps failing
    }
    return this.leftMs(claim) >= needMs;
  }

  /** How many claims are held (for tests and metrics). */
  get size(): number {
    return this.leases.size;
  }

  /**
   * Renews, in one statement, the claims held for half a renewal interval or more whose lease is
   * surely not over. Those the statement did not renew (taken over, or locked by their result's
   * write at that moment) keep the lease they had. Throws when the statement fails.
   */
  async renew(): Promise<number> {
    const sentAt = this.now();
    // A lease that may have run out stays run out: forgotten, so its fence refuses the call.
    for (const [key, lease] of this.leases) if (lease.until <= sentAt) this.leases.delete(key);
    const due = [...this.leases.values()].filter(
      (lease) => sentAt - lease.since >= this.config.claimRenewMs / 2,
    );
    if (!due.length) return 0;
    // Bounded: a statement stuck on a dead connection must not hold up the next renewal (on
    // another connection) until the leases run out.
    const renewed = await withTimeout(
      this.repository.renewClaims(due.map((lease) => lease.claim)),
      this.config.claimRenewMs,
    );
    this.extend(renewed, sentAt);
    return renewed.length;
  }

  /** Claims a statement sent at `sentAt` renewed: their leases count from then. */
  private extend(renewed: readonly HeldClaim[], sentAt: number): void {
    for (const claim of renewed) {
      const lease = this.leases.get(keyOf(claim));
      if (lease?.claim.token !== claim.token) continue;
      lease.until = sentAt + this.config.claimLeaseMs;
      lease.since = sentAt;
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.renewNow(), delayMs);
    this.timer.unref();
  }

  private async renewNow(): Promise<void> {
    try {
      await this.renew();
      this.schedule(this.config.claimRenewMs);
    } catch (error) {
      this.logger.warn(
        `Renewing ${this.leases.size} claims failed (${(error as Error).message}); trying again shortly.`,
      );
      this.schedule(Math.min(RETRY_MS, this.config.claimRenewMs));
    }
  }
}
