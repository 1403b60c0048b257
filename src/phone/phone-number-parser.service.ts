import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ingestConfig, type IngestConfig } from '../config/configuration';
import { normalizePhoneNumbers, type PhoneParseResult } from './phone-number';
import type { PhoneWorkRequest, PhoneWorkResponse } from './phone-worker';

/** Below this many numbers the hand-off to threads costs more than it saves. */
const INLINE_LIMIT = 2_000;

interface PendingWork {
  resolve: (results: PhoneParseResult[]) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, PendingWork>;
}

/**
 * Parses a request's phone numbers on a small pool of worker threads (PHONE_WORKERS), the slowest
 * step of ingest (several microseconds per number even with the regex cache). A thread that dies
 * fails only the work it held, and is replaced on the next call.
 */
@Injectable()
export class PhoneNumberParserService implements OnModuleDestroy {
  private readonly threads: (Thread | undefined)[] = [];
  private nextId = 0;

  constructor(@Inject(ingestConfig.KEY) private readonly config: IngestConfig) {}

  /** With `zones`, each valid number also gets its time zones (a send window in recipient time). */
  async parse(numbers: readonly string[], { zones = false } = {}): Promise<PhoneParseResult[]> {
    const count = this.config.phoneWorkers;
    if (count === 0 || numbers.length < INLINE_LIMIT) {
      return normalizePhoneNumbers(numbers, this.config.defaultCountry, zones);
    }
    const sliceSize = Math.ceil(numbers.length / count);
    const slices: Promise<PhoneParseResult[]>[] = [];
    for (let slot = 0; slot * sliceSize < numbers.length; slot++) {
      slices.push(this.run(slot, numbers.slice(slot * sliceSize, (slot + 1) * sliceSize), zones));
    }
    return (await Promise.all(slices)).flat();
  }

  async onModuleDestroy(): Promise<void> {
    const threads = this.threads.splice(0).filter((thread) => thread !== undefined);
    for (const thread of threads) this.fail(thread, new Error('The service is shutting down.'));
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private run(slot: number, numbers: string[], zones: boolean): Promise<PhoneParseResult[]> {
    const thread = this.thread(slot);
    const id = this.nextId++;
    const request: PhoneWorkRequest = {
      id,
      numbers,
      defaultCountry: this.config.defaultCountry,
      zones,
    };
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage(request);
    });
  }

  private thread(slot: number): Thread {
    const existing = this.threads[slot];
    if (existing) return existing;
    const thread: Thread = { worker: spawnPhoneWorker(), pending: new Map() };
    thread.worker.on('message', ({ id, results }: PhoneWorkResponse) => {
      thread.pending.get(id)?.resolve(results);
      thread.pending.delete(id);
    });
    const retire = (error: Error) => {
      if (this.threads[slot] === thread) this.threads[slot] = undefined;
      this.fail(thread, error);
    };
    thread.worker.on('error', retire);
    thread.worker.on('exit', (code) =>
      retire(new Error(`A phone number thread exited (code ${code}).`)),
    );
    thread.worker.unref();
    this.threads[slot] = thread;
    return thread;
  }

  private fail(thread: Thread, error: Error): void {
    for (const work of thread.pending.values()) work.reject(error);
    thread.pending.clear();
  }
}

function spawnPhoneWorker(): Worker {
  if (__filename.endsWith('.ts')) {
    // Under ts-jest or ts-node the worker is TypeScript too.
    return new Worker(join(__dirname, 'phone-worker.ts'), {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
    });
  }
  return new Worker(join(__dirname, 'phone-worker.js'));
}
