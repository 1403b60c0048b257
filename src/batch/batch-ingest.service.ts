import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { uuidV7s } from '../common/uuid-v7';
import { ingestConfig, type IngestConfig } from '../config/configuration';
import type { ErrorDetail } from '../errors/domain-error';
import { BatchIngestRepository, type NewBatch, type NewMessage } from './batch-ingest.repository';
import { toBatchStatus } from './batch.presenter';
import { invalid, validateCreateBatch, type ValidatedBatch } from './create-batch.validation';
import type { CreatedBatchDto } from './dto/batch-status.dto';
import { IdempotencyService, type IdempotencyClaim } from './idempotency.service';
import type { PhoneParseResult } from './phone/phone-number';
import { PhoneNumberParser } from './phone/phone-number-parser.service';

/**
 * Recipients per step of the ingest pipeline: while one step's rows stream into PostgreSQL, the
 * next step's phone numbers are parsed on the worker threads.
 */
const PIPELINE_STEP = 10_000;

interface Tally {
  messages: number;
  segments: number;
  encodings: Set<string>;
}

/**
 * Turns a POST /api/batch body into a stored batch: validates every recipient, parses the phone
 * numbers, drops duplicates and writes everything in one transaction, or nothing at all.
 */
@Injectable()
export class BatchIngestService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: BatchIngestRepository,
    private readonly phones: PhoneNumberParser,
    private readonly idempotency: IdempotencyService,
    @Inject(ingestConfig.KEY) private readonly config: IngestConfig,
  ) {}

  async ingest(
    accountId: string,
    body: unknown,
    claim?: IdempotencyClaim,
  ): Promise<CreatedBatchDto> {
    const now = new Date();
    const batch = validateCreateBatch(body, {
      maxRecipients: this.config.maxRecipientsPerRequest,
      now,
    });
    if (batch.details.length) {
      // Already rejected: still parse the phone numbers, so every problem is reported in one answer.
      const problems = phoneProblems(
        batch.phoneNumbers,
        await this.phones.parse(rawNumbers(batch, 0, batch.phoneNumbers.length)),
        0,
      );
      throw invalid(byIndex([...batch.details, ...problems]));
    }

    const id = randomUUID();
    const tally: Tally = { messages: 0, segments: 0, encodings: new Set() };
    return this.dataSource.transaction(async (manager) => {
      await this.repository.copyMessages(manager, id, this.messages(batch, tally));
      const { options, template } = batch;
      const startsNow = options.autoStart && (!options.scheduleTime || options.scheduleTime <= now);
      const row: NewBatch = {
        id,
        accountId,
        text: template.text,
        variables: [...template.variables],
        priority: options.priority,
        status: startsNow ? 'processing' : 'pending',
        autoStart: options.autoStart,
        scheduleTime: options.scheduleTime,
        startedAt: startsNow ? now : null,
        total: tally.messages,
        pendingCount: tally.messages,
        completedCount: 0,
        failedCount: 0,
        cancelledCount: 0,
        segments: tally.segments,
        encodings: [...tally.encodings].sort(),
        // Milliseconds, like every JavaScript date: the list's keyset cursor round-trips exactly.
        createdAt: now,
      };
      await this.repository.insertBatch(manager, row);
      const response: CreatedBatchDto = {
        ...toBatchStatus({ ...row, completedAt: null, pauseReason: null, failureReason: null }),
        warnings: batch.warnings,
        duplicatesDropped: batch.recipients.length - tally.messages,
      };
      if (claim) await this.idempotency.complete(manager, claim, 201, response);
      return response;
    });
  }

  /**
   * The batch's messages, step by step, without duplicate numbers (the first one stays). Throws
   * after the last step when any number is invalid, listing them all; the COPY then rolls back.
   */
  private async *messages(batch: ValidatedBatch, tally: Tally): AsyncGenerator<NewMessage[]> {
    const { recipients } = batch;
    const parse = (start: number) => {
      const parsing = this.phones.parse(rawNumbers(batch, start, start + PIPELINE_STEP));
      parsing.catch(() => undefined); // awaited below; this only keeps an abandoned one from crashing
      return parsing;
    };
    const seen = new Set<string>();
    const problems: ErrorDetail[] = [];
    let next = parse(0);
    for (let start = 0; start < recipients.length; start += PIPELINE_STEP) {
      const parsed = await next;
      if (start + PIPELINE_STEP < recipients.length) next = parse(start + PIPELINE_STEP);
      problems.push(...phoneProblems(batch.phoneNumbers, parsed, start));
      if (problems.length) continue;

      const ids = uuidV7s(parsed.length);
      const messages: NewMessage[] = [];
      for (let i = 0; i < parsed.length; i++) {
        const { e164 } = parsed[i] as { e164: string };
        if (seen.has(e164)) continue;
        seen.add(e164);
        const { variables, segments, encoding } = recipients[start + i];
        messages.push({ id: ids[i], phoneNumber: e164, variables, segments });
        tally.segments += segments;
        tally.encodings.add(encoding);
      }
      tally.messages += messages.length;
      yield messages;
    }
    if (problems.length) throw invalid(problems);
  }
}

function rawNumbers(batch: ValidatedBatch, start: number, end: number): string[] {
  return Array.from(
    batch.phoneNumbers.slice(start, Math.min(end, batch.phoneNumbers.length)),
    (raw) => raw ?? '',
  );
}

function phoneProblems(
  phoneNumbers: readonly string[],
  parsed: PhoneParseResult[],
  start: number,
): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const result = parsed[i];
    const raw = phoneNumbers[start + i];
    if (raw === undefined || !('problem' in result)) continue;
    const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
    const index = start + i;
    problems.push({
      path: `recipients[${index}].phoneNumber`,
      index,
      message: `"${shown}" ${result.problem}`,
    });
  }
  return problems;
}

function byIndex(details: ErrorDetail[]): ErrorDetail[] {
  return details.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
}
