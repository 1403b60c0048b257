import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import type { Namespace } from 'socket.io';
import { FINAL_STATUSES } from '../../batch/batch-transitions';
import { BatchService } from '../../batch/batch.service';
import type { BatchStatusDto } from '../../batch/dto/batch-status.dto';
import { ErrorLogService } from '../../errors/error-log/error-log.service';
import { MetricsService } from '../../metrics/metrics.service';
import { NOTICE_EVENT, type BatchNotice, type BatchRef } from '../../batch/events/batch-notices';
import { withTimeout } from '../../common/with-timeout';
import { dispatchConfig, type DispatchConfig } from '../../config/configuration';
import { REDIS } from '../../redis/redis.module';
import { EmissionWindow } from './emission-window';
import { accountRoom, batchRoom, parseFollowedRoom } from './subscription';

/** `batch:progress` per batch and client: at most this many in any second, plus the final state. */
export const PROGRESS_PER_SECOND = 4;
/**
 * The window is paced a little longer than a second, so that delivery jitter never lets a client
 * see a fifth event inside one second.
 */
const PROGRESS_WINDOW_MS = 1_250;
/** A batch nobody heard of for this long is forgotten (its pacing has long run out). */
const IDLE_MS = 10_000;
/** A read of a batch's state that takes longer is abandoned, and tried again after RETRY_MS. */
const READ_TIMEOUT_MS = 5_000;
const RETRY_MS = 500;
/** Batches of one followed account looked at again after notices may have been lost, at most. */
const CATCH_UP_BATCHES = 1_000;
/** How far apart the clocks of Salvo's hosts and PostgreSQL's may be, for a catch-up. */
const CLOCK_SKEW_MS = 60_000;

/** What this process knows of a batch its sockets follow. */
interface Followed {
  ref: BatchRef;
  window: EmissionWindow;
  /** Something changed since the last read. */
  dirty: boolean;
  /** The batch reached a final state: deliver it now, past the pacing. */
  final: boolean;
  /** The read in flight, if any. */
  reading?: Promise<void>;
  /** Counts status notices: a read that started before the last one is stale. */
  statusSeq: number;
  /** Subscribe acks waiting for their turn to read (see inTurn). */
  acksWaiting: number;
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
  /**
   * Keyed by account and batch, never by batch alone: a state made for one account (say by a
   * subscribe to a batch id it does not own) must never carry another account's events.
   */
  private readonly followed = new Map<string, Followed>();
  private nsp?: Namespace;
  private closed = false;
  private readonly sweeper = setInterval(() => this.sweep(), IDLE_MS).unref();

  private readonly catchUps = new Set<NodeJS.Timeout>();

  constructor(
    private readonly batches: BatchService,
    private readonly errors: ErrorLogService,
    private readonly metrics: MetricsService,
    @Inject(REDIS) redis: Redis,
    @Inject(dispatchConfig.KEY) private readonly dispatch: DispatchConfig,
  ) {
    // Notices published while Redis is away are lost, whichever process published them. This
    // process hears of it from its own connections (this one, and the Socket.IO adapter's
    // subscriber: RedisIoAdapter), the publishers' `lost` notices say it for theirs (a worker's
    // connection may be the only one cut).
    this.watch(redis);
  }

  /** Catches followers up whenever `connection` is ready again after it closed. */
  watch(connection: Pick<EventEmitter, 'on'>): void {
    let lostSince: Date | undefined;
    connection.on('close', () => (lostSince ??= new Date()));
    connection.on('ready', () => {
      const since = lostSince;
      lostSince = undefined;
      if (since) this.catchUp(since);
    });
  }

  attach(nsp: Namespace): void {
    this.nsp = nsp;
    nsp.on(NOTICE_EVENT, (notice: BatchNotice) => this.onNotice(notice));
  }

  /**
   * Runs `read` (a subscribe's ack) as one of the batch's reads: after the one in flight, and
   * before any the relay starts meanwhile, so no event that follows the ack is older than it.
   * Call it once the socket has joined the batch's room.
   */
  async inTurn<T>(ref: BatchRef, read: () => Promise<T>): Promise<T> {
    const state = this.stateOf(ref);
    if (!state) return read();
    state.acksWaiting++; // the relay starts no read of its own meanwhile
    while (state.reading) await state.reading;
    state.acksWaiting--;
    let done!: () => void;
    state.reading = new Promise<void>((resolve) => (done = resolve));
    try {
      return await read();
    } finally {
      state.reading = undefined;
      done();
      this.pump(state);
    }
  }

  onApplicationShutdown(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const timer of this.catchUps) clearTimeout(timer);
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
        const state = this.stateOf({ id: batch.id, accountId });
        // A read in flight may predate the transition: its state is dropped, a fresh one follows
        // (and goes out unless it is the progress already sent, so the final state goes once).
        if (state) state.statusSeq++;
        this.changed({ id: batch.id, accountId }, FINAL_STATUSES.includes(batch.status));
        return;
      }
      case 'error':
        if (this.hasFollowers(notice.batchId, notice.accountId)) void this.relayError(notice);
        return;
      case 'lost': {
        const since = new Date(notice.since);
        if (!Number.isNaN(since.getTime())) this.catchUp(since);
        return;
      }
    }
  }

  /**
   * Notices published since `since` may have been lost (this process's Redis connection, or a
   * publisher's, was away): every batch a socket here follows (by its own room, or as one of its
   * account's batches that may have moved since) is read again now and once more a reconcile
   * interval later (publishers that reconnected later, and the reconciler's repairs), and its
   * followers get its state if it changed: no dashboard stays stale for longer than a reconcile
   * interval. The reads and events stay in this process.
   */
  private catchUp(since: Date): void {
    if (this.closed) return;
    // `since` is some process's clock, compared with the database's: a margin for their skew.
    const from = new Date(since.getTime() - CLOCK_SKEW_MS);
    const again = setTimeout(() => {
      this.catchUps.delete(again);
      void this.refresh(from);
    }, this.dispatch.reconcileIntervalMs).unref();
    this.catchUps.add(again);
    void this.refresh(from);
  }

  private async refresh(since: Date): Promise<void> {
    const accounts = new Set<string>();
    for (const room of this.nsp?.adapter.rooms.keys() ?? []) {
      const followed = parseFollowedRoom(room);
      if (followed?.batchId)
        this.changed({ id: followed.batchId, accountId: followed.accountId }, false);
      else if (followed) accounts.add(followed.accountId);
    }
    try {
      const moved = await this.batches.movedSince([...accounts], since, CATCH_UP_BATCHES);
      for (const ref of moved) this.changed(ref, false);
    } catch (error) {
      this.logger.warn(`Could not catch up on lost batch notices: ${(error as Error).message}`);
    }
  }

  /** The batch moved: its followers get its state when the pacing allows (at once if final). */
  private changed(ref: BatchRef, final: boolean): void {
    const state = this.stateOf(ref);
    if (!state) return;
    state.dirty = true;
    state.final ||= final;
    state.touchedAt = Date.now();
    this.pump(state);
  }

  /** What this process keeps of a batch its sockets follow; undefined when none does. */
  private stateOf({ id, accountId }: BatchRef): Followed | undefined {
    if (this.closed || !this.hasFollowers(id, accountId)) return undefined;
    const key = followedKey(accountId, id);
    let state = this.followed.get(key);
    if (!state) {
      state = {
        ref: { id, accountId },
        window: new EmissionWindow(PROGRESS_PER_SECOND, PROGRESS_WINDOW_MS),
        dirty: false,
        final: false,
        statusSeq: 0,
        acksWaiting: 0,
        touchedAt: Date.now(),
      };
      this.followed.set(key, state);
    }
    return state;
  }

  private pump(state: Followed): void {
    if (this.closed || state.reading || state.acksWaiting || !state.dirty) return;
    const waitMs = state.final ? 0 : state.window.waitMs(Date.now());
    if (waitMs > 0) {
      state.timer ??= setTimeout(() => {
        state.timer = undefined;
        this.pump(state);
      }, waitMs);
      return;
    }
    clearTimeout(state.timer);
    state.timer = undefined;
    state.reading = this.read(state).finally(() => {
      state.reading = undefined;
      this.pump(state);
    });
  }

  /** Reads the batch and sends its state; a failed read is tried again, the change is not lost. */
  private async read(state: Followed): Promise<void> {
    const { final, statusSeq } = state;
    const { id } = state.ref;
    state.dirty = false;
    state.final = false;
    try {
      const current = (await withTimeout(this.batches.snapshots([id]), READ_TIMEOUT_MS)).get(id);
      // A status notice came meanwhile: this state may be older than it; a new read follows.
      // (The owner is checked again, so a state can only ever reach its own account.)
      if (current?.accountId === state.ref.accountId && statusSeq === state.statusSeq) {
        this.emitProgress(state, current.status);
      }
    } catch (error) {
      this.logger.warn(`Could not read batch ${id} for its followers: ${(error as Error).message}`);
      state.dirty = true;
      state.final ||= final;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
    }
  }

  private emitProgress(state: Followed, status: BatchStatusDto): void {
    // Delivery counts move after a batch is final too (receipts keep coming).
    const fingerprint = JSON.stringify([status.status, status.progress, status.delivery]);
    if (fingerprint === state.last) return;
    state.last = fingerprint;
    state.window.record(Date.now());
    this.emit('batch:progress', state.ref.id, state.ref.accountId, status);
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
    this.nsp?.local
      .to([batchRoom(accountId, batchId), accountRoom(accountId)])
      .emit(event, payload);
    this.metrics.eventEmitted(event);
  }

  private hasFollowers(batchId: string, accountId: string): boolean {
    const rooms = this.nsp?.adapter.rooms;
    return (
      !!rooms && (rooms.has(batchRoom(accountId, batchId)) || rooms.has(accountRoom(accountId)))
    );
  }

  /** Forgets batches that have been quiet for a while, or that nobody here follows any more. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, state] of this.followed) {
      const quiet = !state.reading && !state.timer && !state.dirty && !state.acksWaiting;
      const idle = now - Math.max(state.touchedAt, state.window.lastAt()) > IDLE_MS;
      const { id, accountId } = state.ref;
      if (quiet && (idle || !this.hasFollowers(id, accountId))) this.followed.delete(key);
    }
  }
}

const followedKey = (accountId: string, batchId: string): string => `${accountId}:${batchId}`;
