import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { ingestConfig, type IngestConfig } from '../../config/configuration';
import { normalizePhoneNumbers, type PhoneParseResult } from './phone-number';
import type { PhoneWorkRequest } from './phone-worker';

/** Below this many numbers the hand-off to threads costs more than it saves. */
const INLINE_LIMIT = 2_000;

interface PendingWork {
  resolve: (results: PhoneParseResult[]) => void;
  reject: (error: Error) => void;
}

/**
 * Parses a request's phone numbers on a small pool of worker threads (PHONE_WORKERS), the slowest
 * step of ingest (several microseconds per number even with the regex cache).
 */
@Injectable()
export class PhoneNumberParser implements OnModuleDestroy {
  private readonly workers: (Worker | undefined)[] = [];
  private readonly pending = new Map<number, PendingWork>();
  private nextId = 0;

  constructor(@Inject(ingestConfig.KEY) private readonly config: IngestConfig) {}

  async parse(numbers: readonly string[]): Promise<PhoneParseResult[]> {
    const threads = this.config.phoneWorkers;
    if (threads === 0 || numbers.length < INLINE_LIMIT) {
      return normalizePhoneNumbers(numbers, this.config.defaultCountry);
    }
    const sliceSize = Math.ceil(numbers.length / threads);
    const slices: Promise<PhoneParseResult[]>[] = [];
    for (let i = 0; i * sliceSize < numbers.length; i++) {
      slices.push(this.run(i, numbers.slice(i * sliceSize, (i + 1) * sliceSize)));
    }
    return (await Promise.all(slices)).flat();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(
      this.workers.filter((worker) => worker !== undefined).map((worker) => worker.terminate()),
    );
  }

  private run(slot: number, numbers: string[]): Promise<PhoneParseResult[]> {
    const id = this.nextId++;
    const request: PhoneWorkRequest = { id, numbers, defaultCountry: this.config.defaultCountry };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker(slot).postMessage(request);
    });
  }

  private worker(slot: number): Worker {
    const existing = this.workers[slot];
    if (existing) return existing;
    const worker = spawnPhoneWorker();
    worker.on('message', ({ id, results }: { id: number; results: PhoneParseResult[] }) => {
      this.pending.get(id)?.resolve(results);
      this.pending.delete(id);
    });
    worker.on('error', (error) => this.failAll(slot, worker, error));
    worker.unref();
    this.workers[slot] = worker;
    return worker;
  }

  /** A crashed thread fails what is in flight (the request answers 500) and is replaced next time. */
  private failAll(slot: number, worker: Worker, error: Error): void {
    if (this.workers[slot] === worker) this.workers[slot] = undefined;
    for (const work of this.pending.values()) work.reject(error);
    this.pending.clear();
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
