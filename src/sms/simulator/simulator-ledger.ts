import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';

interface PendingAcceptance {
  key: string;
  phoneNumber: string;
  body: string;
  resolve: (result: Acceptance) => void;
  reject: (error: unknown) => void;
}

export interface Acceptance {
  providerMessageId: string;
  /** True when this key was accepted before: the provider does not send it again. */
  replay: boolean;
}

/**
 * The simulator's memory in PostgreSQL, shared by every process: acceptances once per idempotency
 * key, and call counts of the scripted numbers. Acceptances arriving together are written in one
 * statement (group commit), so the simulator keeps up with a fast dispatcher.
 */
@Injectable()
export class SimulatorLedger {
  private pending: PendingAcceptance[] = [];
  private scheduled = false;

  constructor(private readonly dataSource: DataSource) {}

  accept(key: string, phoneNumber: string, body: string): Promise<Acceptance> {
    return new Promise((resolve, reject) => {
      this.pending.push({ key, phoneNumber, body, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** How many calls the simulator has now seen for this key, this one included. */
  async countCall(key: string): Promise<number> {
    const rows = await this.dataSource.query<{ calls: number }[]>(
      `INSERT INTO simulator_calls (idempotency_key, calls) VALUES ($1, 1)
       ON CONFLICT (idempotency_key) DO UPDATE SET calls = simulator_calls.calls + 1
       RETURNING calls`,
      [key],
    );
    return rows[0].calls;
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    // One row per key per statement (ON CONFLICT cannot touch a row twice); repeats wait a turn.
    const batch = new Map<string, PendingAcceptance>();
    const later: PendingAcceptance[] = [];
    for (const item of this.pending) {
      if (batch.has(item.key)) later.push(item);
      else batch.set(item.key, item);
    }
    this.pending = later;
    if (later.length) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    const items = [...batch.values()];
    try {
      const rows = await this.dataSource.query<{ key: string; id: string; replay: boolean }[]>(
        `INSERT INTO simulator_ledger (idempotency_key, provider_message_id, phone_number, body)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT (idempotency_key) DO UPDATE SET replays = simulator_ledger.replays + 1
         RETURNING idempotency_key AS key, provider_message_id AS id, (xmax <> 0) AS replay`,
        [
          items.map((i) => i.key),
          items.map(() => `SIM-${randomUUID()}`),
          items.map((i) => i.phoneNumber),
          items.map((i) => i.body),
        ],
      );
      const byKey = new Map(rows.map((row) => [row.key, row]));
      for (const item of items) {
        const row = byKey.get(item.key)!;
        item.resolve({ providerMessageId: row.id, replay: row.replay });
      }
    } catch (error) {
      for (const item of items) item.reject(error);
    }
  }
}
