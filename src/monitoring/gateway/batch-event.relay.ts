import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { BatchService } from '../../batch/batch.service';
import type { BatchStatusDto } from '../../batch/dto/batch-status.dto';
import { ErrorLogService } from '../../errors/error-log/error-log.service';
import { MetricsService } from '../metrics/metrics.service';
import { NOTICE_EVENT, type BatchNotice, type BatchRef } from '../events/batch-events';
import { EmissionWindow } from './emission-window';
import { accountRoom, batchRoom } from './subscription';

/** `batch:progress` per batch and client: at most this many in any second, plus the final state. */
export const PROGRESS_PER_SECOND = 4;
/**
 * The window is paced a little longer than a second, so that delivery jitter never lets a client
 * see a fifth event inside one second.
 */
const PROGRESS_WINDOW_MS = 1_250;
/** A batch nobody heard of for this long is forgotten (its pacing has long run out). */
const IDLE_MS = 10_000;

const FINAL = new Set<BatchStatusDto['status']>(['completed', 'failed', 'cancelled']);

/** What this process knows of a batch its sockets follow. */
interface Followed {
  accountId: string;
  window: EmissionWindow;
  /** Something changed since the last read. */
  dirty: boolean;
  /** The batch reached a final state: deliver it now, past the pacing. */
  final: boolean;
  reading: boolean;
  timer?: NodeJS.Timeout;
  /** The progress last emitted, to skip states that say nothing new. */
  last?: string;
  touchedAt: number;
}

/**
 * Turns batch notices (from any process, through the Redis adapter) into events for this
 * process's sockets. Every API process relays to its own sockets only (`local`), so a client hears
 * each event once whichever process it is connected to, and the pacing holds per client across the
 * deployment. Progress is read from PostgreSQL when it is due, one read per batch at a time, so
 * the latest committed state wins and counts never go backwards (but for retry-failed, which
 * moves them back on purpose). Batches no socket here follows cost nothing.
 */
@Injectable()
export class BatchEventRelay implements OnApplicationShutdown {
  private readonly logger = new Logger(BatchEventRelay.name);
  private readonly followed = new Map<string, Followed>();
  private nsp?: Namespace;
  private readonly sweeper = setInterval(() => this.sweep(), IDLE_MS).unref();

  constructor(
    private readonly batches: BatchService,
    private readonly errors: ErrorLogService,
    private readonly metrics: MetricsService,
  ) {}

  attach(nsp: Namespace): void {
    this.nsp = nsp;
    nsp.on(NOTICE_EVENT, (notice: BatchNotice) => this.onNotice(notice));
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    for (const state of this.followed.values()) clearTimeout(state.timer);
    this.followed.clear();
  }

  private onNotice(notice: BatchNotice): void {
    switch (notice?.kind) {
      case 'progress':
        for (const ref of notice.batches ?? []) this.changed(ref, false);
        return;
      case 'status': {
        const { accountId, batch } = notice;
        if (!this.hasFollowers(batch.id, accountId)) return;
        this.emit('batch:status', batch.id, accountId, batch);
        this.changed({ id: batch.id, accountId }, FINAL.has(batch.status));
        return;
      }
      case 'error':
        if (this.hasFollowers(notice.batchId, notice.accountId)) void this.relayError(notice);
        return;
    }
  }

  /** The batch moved: its followers get its state when the pacing allows (at once if final). */
  private changed({ id, accountId }: BatchRef, final: boolean): void {
    if (!this.hasFollowers(id, accountId)) return;
    let state = this.followed.get(id);
    if (!state) {
      state = {
        accountId,
        window: new EmissionWindow(PROGRESS_PER_SECOND, PROGRESS_WINDOW_MS),
        dirty: false,
        final: false,
        reading: false,
        touchedAt: Date.now(),
      };
      this.followed.set(id, state);
    }
    state.dirty = true;
    state.final ||= final;
    state.touchedAt = Date.now();
    this.pump(id, state);
  }

  private pump(id: string, state: Followed): void {
    if (state.reading || !state.dirty) return;
    const waitMs = state.final ? 0 : state.window.waitMs(Date.now());
    if (waitMs > 0) {
      state.timer ??= setTimeout(() => {
        state.timer = undefined;
        this.pump(id, state);
      }, waitMs);
      return;
    }
    clearTimeout(state.timer);
    state.timer = undefined;
    state.reading = true;
    state.dirty = false;
    state.final = false;
    this.batches
      .snapshots([id])
      .then((snapshots) => {
        const current = snapshots.get(id);
        if (current) this.emitProgress(id, state, current.status);
      })
      .catch((error: Error) =>
        this.logger.warn(`Could not read batch ${id} for its followers: ${error.message}`),
      )
      .finally(() => {
        state.reading = false;
        this.pump(id, state);
      });
  }

  private emitProgress(id: string, state: Followed, status: BatchStatusDto): void {
    const fingerprint = JSON.stringify([status.status, status.progress]);
    if (fingerprint === state.last) return;
    state.last = fingerprint;
    state.window.record(Date.now());
    this.emit('batch:progress', id, state.accountId, status);
  }

  private async relayError(notice: Extract<BatchNotice, { kind: 'error' }>): Promise<void> {
    const { batchId, accountId, category } = notice;
    try {
      const [summary] = await this.errors.summaries(batchId, category);
      if (summary) this.emit('batch:error', batchId, accountId, { id: batchId, category, summary });
    } catch (error) {
      this.logger.warn(
        `Could not read the errors of batch ${batchId}: ${(error as Error).message}`,
      );
    }
  }

  private emit(event: string, batchId: string, accountId: string, payload: unknown): void {
    // One socket in both rooms gets the event once.
    this.nsp?.local.to([batchRoom(batchId), accountRoom(accountId)]).emit(event, payload);
    this.metrics.eventEmitted(event);
  }

  private hasFollowers(batchId: string, accountId: string): boolean {
    const rooms = this.nsp?.adapter.rooms;
    return !!rooms && (rooms.has(batchRoom(batchId)) || rooms.has(accountRoom(accountId)));
  }

  /** Forgets batches that have been quiet for a while, or that nobody here follows any more. */
  private sweep(): void {
    const now = Date.now();
    for (const [id, state] of this.followed) {
      const quiet = !state.reading && !state.timer && !state.dirty;
      const idle = now - Math.max(state.touchedAt, state.window.lastAt()) > IDLE_MS;
      if (quiet && (idle || !this.hasFollowers(id, state.accountId))) this.followed.delete(id);
    }
  }
}
