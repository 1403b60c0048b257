// At ingest: each message's zone key under its batch's send window, the batch's distinct keys, and
// the warning for numbers whose zones' windows never overlap.
import { RECIPIENT_TIME_ZONE, type SendWindow } from '../../config/send-window';
import { MAX_WARNING_RECIPIENTS, type BatchWarning } from '../create-batch.validation';
import { UNKNOWN_ZONE } from '../../phone/phone-time-zones';
import { effectiveZoneKey, type ZoneKey } from './send-window';

export class MessageZones {
  /** The distinct keys stored, for batches.send_zones. */
  readonly keys = new Set<ZoneKey>();
  /** Per zone key as the number gave it, the key stored: itself, or the latest-opening zone. */
  private readonly effective = new Map<ZoneKey, { key: ZoneKey; disjoint: boolean }>();
  private readonly disjoint: number[] = [];
  private disjointTotal = 0;

  /** `window` null: the batch has none, and no message gets a key. */
  constructor(
    private readonly window: SendWindow | null,
    private readonly nowMs: number,
  ) {}

  /** Whether the phone threads must look up each number's zones. */
  get byRecipient(): boolean {
    return this.window?.timeZone === RECIPIENT_TIME_ZONE;
  }

  /** The zone key of recipient `index`, whose number's zones are `zones` (when byRecipient). */
  keyOf(index: number, zones: ZoneKey | undefined): ZoneKey | null {
    if (!this.window) return null;
    if (!this.byRecipient) return this.add(this.window.timeZone);
    const given = zones ?? UNKNOWN_ZONE;
    let resolved = this.effective.get(given);
    if (!resolved) {
      resolved = effectiveZoneKey(this.window, given, this.nowMs);
      this.effective.set(given, resolved);
    }
    if (resolved.disjoint) {
      this.disjointTotal++;
      if (this.disjoint.length < MAX_WARNING_RECIPIENTS) this.disjoint.push(index);
    }
    return this.add(resolved.key);
  }

  /** SEND_WINDOW_ZONES_DISJOINT for the recipients whose zones' windows never overlap, if any. */
  warning(): BatchWarning | null {
    if (!this.disjointTotal) return null;
    const count = `${this.disjointTotal} recipient${this.disjointTotal === 1 ? '' : 's'}`;
    return {
      code: 'SEND_WINDOW_ZONES_DISJOINT',
      message:
        `The numbers of ${count} may be in several time zones whose send windows never overlap; ` +
        'their messages go in the window of the zone whose window opens latest.',
      recipients: this.disjoint,
      recipientsTotal: this.disjointTotal,
    };
  }

  private add(key: ZoneKey): ZoneKey {
    this.keys.add(key);
    return key;
  }
}
