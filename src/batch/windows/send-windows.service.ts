// Send windows as dispatch and the reconciler see them: which of a batch's zone keys a claim may
// take now, when the others open, and when each key's messages' validity started.
import { Inject, Injectable } from '@nestjs/common';
import { retryConfig, type RetryConfig } from '../../config/configuration';
import type { SendWindow } from '../../config/send-window';
import { Clock } from '../../common/clock';
import {
  nextClosing,
  validUntil,
  windowState,
  type WindowState,
  type ZoneKey,
} from './send-window';

/** What dispatch knows of a batch's window. */
export interface WindowedBatch {
  id: string;
  sendWindow: SendWindow | null;
  sendZones: readonly ZoneKey[];
  /** When MESSAGE_VALIDITY_SECONDS started for the batch: its start or last reopening. */
  validFrom: Date | null;
}

export interface Sendable {
  /** Zone keys a claim may take now (open, validity left); null when the batch has no window. */
  open: ZoneKey[] | null;
  /** Closed keys whose validity is left, and in how many ms each opens. */
  opensInMs: Map<ZoneKey, number>;
  /** The same keys, and when each opens (Unix ms). */
  opensAt: Map<ZoneKey, number>;
}

/** A batch's state is computed again at least this often (a clock moved by hand, a new key). */
const STATE_TTL_MS = 60_000;
/** Batches whose state a process keeps; past it the cache starts afresh. */
const MAX_CACHED = 1_000;

interface Cached {
  key: string;
  /** When it was computed. */
  at: number;
  state: WindowState;
  until: number;
  /** Per zone key, when its messages' validity started. */
  starts: Map<ZoneKey, number>;
}

@Injectable()
export class SendWindows {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly clock: Clock,
    @Inject(retryConfig.KEY) private readonly retry: RetryConfig,
  ) {}

  /** Which zone keys a claim may take now, and when the closed ones open. */
  sendable(batch: WindowedBatch): Sendable {
    const { sendWindow } = batch;
    if (!sendWindow) return { open: null, opensInMs: new Map(), opensAt: new Map() };
    const now = this.clock.now();
    const cached = this.cached(batch, sendWindow, now);
    const validity = this.retry.validityMs;
    const live = (key: ZoneKey) => this.start(cached, batch, sendWindow, key) + validity > now;
    const opensInMs = new Map<ZoneKey, number>();
    const opensAt = new Map<ZoneKey, number>();
    for (const [key, opens] of cached.state.closed) {
      if (opens === Infinity || !live(key)) continue;
      opensInMs.set(key, Math.max(0, opens - now));
      opensAt.set(key, opens);
    }
    return { open: cached.state.open.filter(live), opensInMs, opensAt };
  }

  /**
   * When the validity of a message of zone key `zone` started, as far as `start + validity` goes:
   * its deadline (send-window.ts, validUntil: counted only while its window is open) less the
   * validity; the batch's validFrom without a window.
   */
  validFromMs(batch: WindowedBatch, zone: ZoneKey | null): number {
    const validFrom = batch.validFrom?.getTime() ?? this.clock.now();
    if (!batch.sendWindow || zone === null) return validFrom;
    const cached = this.cached(batch, batch.sendWindow, this.clock.now());
    return this.start(cached, batch, batch.sendWindow, zone);
  }

  /**
   * Until when a provider may still deliver a message of zone key `zone` sent now (Twilio's
   * ValidityPeriod, SMPP's validity_period): its validity's end, and with a send window no later
   * than the window's closing, so a provider's queue does not deliver it at night.
   */
  providerValidUntil(batch: WindowedBatch, zone: ZoneKey | null): number {
    const deadline = this.validFromMs(batch, zone) + this.retry.validityMs;
    if (!batch.sendWindow || zone === null) return deadline;
    const now = this.clock.now();
    // A send in the last moment of a window (the open zones are cached) still gets a minute.
    const closes = Math.max(nextClosing(batch.sendWindow, zone, now), now + 60_000);
    return Math.min(deadline, closes);
  }

  /** Whether no message of the batch may be sent any more: every key's validity ran out. */
  expired(batch: WindowedBatch): boolean {
    if (!batch.validFrom) return false;
    const now = this.clock.now();
    const validity = this.retry.validityMs;
    if (!batch.sendWindow || !batch.sendZones.length) {
      return now > batch.validFrom.getTime() + validity;
    }
    return batch.sendZones.every((zone) => now > this.validFromMs(batch, zone) + validity);
  }

  /** Zone keys of the batch whose messages' validity ran out. */
  expiredZones(batch: WindowedBatch): ZoneKey[] {
    if (!batch.sendWindow || !batch.validFrom) return [];
    const now = this.clock.now();
    return batch.sendZones.filter(
      (zone) => now > this.validFromMs(batch, zone) + this.retry.validityMs,
    );
  }

  private cached(batch: WindowedBatch, window: SendWindow, now: number): Cached {
    // A reopening (validFrom) or another window makes another entry.
    const key = `${batch.validFrom?.getTime() ?? ''}/${JSON.stringify(window)}/${batch.sendZones.length}`;
    const found = this.cache.get(batch.id);
    // A clock set back (tests) computes again too.
    if (found && found.key === key && now < found.until && now >= found.at) {
      return found;
    }
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    const state = windowState(window, batch.sendZones, now);
    const entry: Cached = {
      key,
      at: now,
      state,
      until: Math.min(state.changesAt, now + STATE_TTL_MS),
      starts: found?.key === key ? found.starts : new Map<ZoneKey, number>(),
    };
    this.cache.set(batch.id, entry);
    return entry;
  }

  private start(cached: Cached, batch: WindowedBatch, window: SendWindow, zone: ZoneKey): number {
    let start = cached.starts.get(zone);
    if (start === undefined) {
      // Where a message's validity would have started had it run without a break: its deadline
      // (validity counted only while its window is open) less the validity, so every use of
      // `start + validity` reads the deadline.
      const validFrom = batch.validFrom?.getTime() ?? this.clock.now();
      const validity = this.retry.validityMs;
      start = validUntil(window, zone, validFrom, validity) - validity;
      cached.starts.set(zone, start);
    }
    return start;
  }
}
