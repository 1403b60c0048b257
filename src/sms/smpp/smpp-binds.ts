// The SMPP binds of one process (settings.binds of them): each submit goes to the bound bind with
// the most window room, or waits its turn, oldest first, for room on any of them.
import { Logger, type LoggerService } from '@nestjs/common';
import type { SmppSettings } from '../../config/configuration';
import { FifoWaiters } from './fifo-waiters';
import { SmppBind, type BindRefusal, type DeliverHandler, type SubmitOutcome } from './smpp-bind';
import type { SubmitSmFields } from './smpp-session';

export type { SubmitOutcome } from './smpp-bind';

/**
 * Awaited with a window place held, right before the write: null to write, or the outcome to
 * answer instead (nothing written).
 */
export type BeforeWrite = () => Promise<Extract<SubmitOutcome, { kind: 'unwritten' }> | null>;

export class SmppBinds {
  private readonly binds: SmppBind[];
  private readonly waiters = new FifoWaiters<SmppBind>();
  private closing = false;

  constructor(
    settings: SmppSettings,
    onDeliver: DeliverHandler,
    logger: LoggerService = new Logger(SmppBinds.name),
  ) {
    this.binds = Array.from(
      { length: settings.binds },
      (_, index) =>
        new SmppBind(settings, onDeliver, () => this.serveWaiters(), logger, `bind ${index + 1}`),
    );
  }

  /** Connects every bind; idempotent, never throws (failures are retried in the background). */
  start(): void {
    if (this.closing) return;
    for (const bind of this.binds) bind.start();
  }

  /**
   * One submit_sm on the bound bind with the most window room. Without room it waits, behind the
   * submits already waiting, until `waitUntil` (epoch ms) or until `signal` aborts, and then answers
   * unwritten: nothing was sent.
   */
  submit(
    fields: SubmitSmFields,
    options: { waitUntil: number; signal?: AbortSignal; beforeWrite?: BeforeWrite },
  ): Promise<SubmitOutcome> {
    if (this.closing) return Promise.resolve({ kind: 'unwritten', reason: 'closing' });
    if (options.signal?.aborted) return Promise.resolve({ kind: 'unwritten', reason: 'aborted' });
    const write = (bind: SmppBind) =>
      options.beforeWrite ? bind.submitAfter(options.beforeWrite, fields) : bind.submit(fields);
    const roomy = this.waiters.size === 0 ? this.roomiest() : undefined;
    if (roomy) return write(roomy);
    return this.waiters
      .wait(write, {
        deadline: options.waitUntil,
        signal: options.signal,
      })
      .then((outcome): SubmitOutcome => {
        switch (outcome) {
          case 'aborted':
            return { kind: 'unwritten', reason: 'aborted' };
          case 'closing':
            return { kind: 'unwritten', reason: 'closing' };
          case 'expired':
            // Up but full all along is not the same trouble as down (a breaker counts only down).
            return this.bound() > 0
              ? { kind: 'unwritten', reason: 'window-full' }
              : this.notBound();
          default:
            return outcome;
        }
      });
  }

  /** Binds up now. */
  bound(): number {
    return this.binds.filter((bind) => bind.isBound()).length;
  }

  /** The latest refusal, when no bind is up and the last attempt of one was refused by the SMSC. */
  refusal(): BindRefusal | null {
    if (this.bound() > 0) return null;
    let latest: BindRefusal | null = null;
    for (const bind of this.binds) {
      const refusal = bind.refusal();
      if (refusal && (!latest || refusal.at >= latest.at)) latest = refusal;
    }
    return latest;
  }

  /** Closes every bind; submits still waiting for room answer unwritten 'closing'. */
  async close(): Promise<void> {
    this.closing = true;
    this.waiters.closeAll();
    await Promise.all(this.binds.map((bind) => bind.close()));
  }

  private notBound(): SubmitOutcome {
    const refusal = this.refusal();
    return refusal
      ? {
          kind: 'unwritten',
          reason: 'not-bound',
          refusal: { commandStatus: refusal.commandStatus },
        }
      : { kind: 'unwritten', reason: 'not-bound' };
  }

  private roomiest(): SmppBind | undefined {
    let best: SmppBind | undefined;
    for (const bind of this.binds) {
      if (bind.room() > (best?.room() ?? 0)) best = bind;
    }
    return best;
  }

  private serveWaiters(): void {
    this.waiters.serve(() => this.roomiest());
  }
}
