import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { uuidV7s } from '../common/uuid-v7';
import {
  ingestConfig,
  routingConfig,
  type IngestConfig,
  type RoutingConfig,
} from '../config/configuration';
import { ValidationFailed, type ErrorDetail } from '../errors/domain-error';
import { QuotaService } from '../quota/quota.service';
import { routeFor } from '../config/routes';
import { SuppressedNumbers } from '../consent/suppressed-numbers';
import { firstOccurrences } from './duplicate-numbers';
import { BatchIngestRepository, type NewBatch, type NewMessage } from './batch-ingest.repository';
import { DestinationPolicyService } from './destinations/destination-policy.service';
import type { DestinationCheck } from './destinations/destination-rule';
import { toBatchStatus } from './batch.presenter';
import {
  MAX_WARNING_RECIPIENTS,
  MAX_WARNINGS,
  phoneNumbersOf,
  SUPPRESSED_RECIPIENT,
  validateBatchRequest,
  validateRecipients,
  type BatchWarning,
  type ValidatedBatch,
} from './create-batch.validation';
import type { CreatedBatchDto } from './dto/batch-status.dto';
import { IdempotencyService, type IdempotencyClaim } from './idempotency.service';
import { shownNumber, type ParsedPhoneNumber, type PhoneParseResult } from '../phone/phone-number';
import { PhoneNumberParserService } from '../phone/phone-number-parser.service';
import { MessageZones } from './windows/message-zones';

/**
 * Recipients per step of the ingest pipeline: while one step's rows stream into PostgreSQL, the
 * next step's phone numbers are parsed on the worker threads.
 */
const PIPELINE_STEP = 10_000;

interface Tally {
  messages: number;
  segments: number;
  encodings: Set<string>;
  routes: Set<string>;
  /** Indexes of the recipients dropped because their number is suppressed. */
  suppressed: number[];
  zones: MessageZones;
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
    private readonly phones: PhoneNumberParserService,
    private readonly destinations: DestinationPolicyService,
    private readonly idempotency: IdempotencyService,
    private readonly quotas: QuotaService,
    private readonly suppressions: SuppressedNumbers,
    @Inject(ingestConfig.KEY) private readonly config: IngestConfig,
    @Inject(routingConfig.KEY) private readonly routing: RoutingConfig,
  ) {}

  async ingest(
    accountId: string,
    body: unknown,
    claim?: IdempotencyClaim,
  ): Promise<CreatedBatchDto> {
    const now = new Date();
    const request = validateBatchRequest(body, {
      maxRecipients: this.config.maxRecipientsPerRequest,
      now,
    });
    const { autoStart, scheduleTime } = request.options;
    if (autoStart && (!scheduleTime || scheduleTime <= now)) {
      await this.quotas.refuseIfExhausted(accountId);
    }
    // Absent: the deployment's default; null: none.
    const sendWindow =
      request.options.sendWindow === undefined
        ? this.config.defaultSendWindow
        : request.options.sendWindow;
    const zones = new MessageZones(sendWindow, now.getTime());
    // The worker threads parse phone numbers while this thread checks everything else.
    const parsing = this.parseInSteps(request.recipients, zones.byRecipient);
    const checking = this.destinations.checkFor(accountId);
    checking.catch(() => undefined); // awaited below; this only keeps an abandoned one from crashing
    const batch: ValidatedBatch = {
      template: request.template,
      options: request.options,
      ...validateRecipients(request.recipients, request.template),
    };
    if (batch.details.length) {
      // Rejected already; the phone numbers' problems still go in the same answer.
      const check = await checking;
      const problems = (await Promise.all(parsing)).flatMap((parsed, step) =>
        phoneProblems(batch.phoneNumbers, parsed, step * PIPELINE_STEP, check),
      );
      this.destinations.report(check);
      throw ValidationFailed.of(byIndex([...batch.details, ...problems]));
    }
    const check = await checking;

    const id = randomUUID();
    const tally: Tally = {
      messages: 0,
      segments: 0,
      encodings: new Set(),
      routes: new Set(),
      suppressed: [],
      zones,
    };
    // Each step's numbers are looked up in the suppressions as soon as they are parsed, one step
    // after the other on the lookups' own pool (SuppressedNumbers says why), while earlier steps
    // stream into the COPY.
    const suppressing: Promise<Set<string>>[] = [];
    for (const step of parsing) {
      const previous = suppressing.at(-1) ?? Promise.resolve(new Set<string>());
      const lookup = previous
        .then(() => step)
        .then((parsed) => this.suppressions.among(accountId, validNumbers(parsed)));
      lookup.catch(() => undefined); // awaited in messages(); this only keeps an abandoned one from crashing
      suppressing.push(lookup);
    }
    return this.dataSource.transaction(async (manager) => {
      await this.repository.copyMessages(
        manager,
        id,
        this.messages(batch, parsing, suppressing, check, tally),
      );
      const { options, template } = batch;
      const startsNow = options.autoStart && (!options.scheduleTime || options.scheduleTime <= now);
      // Over the daily quota, the 429 rolls everything back (and frees the Idempotency-Key).
      if (startsNow) {
        const need = { messages: tally.messages, segments: tally.segments, what: 'this batch' };
        await this.quotas.take(manager, accountId, need);
      }
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
        resumedAt: startsNow ? now : null,
        quotaTaken: startsNow,
        total: tally.messages,
        pendingCount: tally.messages,
        completedCount: 0,
        failedCount: 0,
        cancelledCount: 0,
        segments: tally.segments,
        encodings: [...tally.encodings].sort(),
        routes: [...tally.routes].sort(),
        sendWindow,
        sendZones: [...zones.keys].sort(),
        // Milliseconds, like every JavaScript date: the list's keyset cursor round-trips exactly.
        createdAt: now,
      };
      await this.repository.insertBatch(manager, row);
      const response: CreatedBatchDto = {
        ...toBatchStatus({
          ...row,
          completedAt: null,
          pauseReason: null,
          failureReason: null,
          generation: 0,
          processingMs: 0,
          deliveredCount: 0,
          undeliveredCount: 0,
          deliveryUnknownCount: 0,
          outsideWindow: 0,
          nextWindowAt: null,
        }),
        ...withWarnings(batch, [
          ...suppressionWarnings(tally.suppressed),
          ...(zones.warning() ? [zones.warning()!] : []),
        ]),
        duplicatesDropped: batch.recipients.length - tally.messages - tally.suppressed.length,
        suppressedDropped: tally.suppressed.length,
      };
      if (claim) await this.idempotency.complete(manager, claim, 201, response);
      return response;
    });
  }

  /** Queues every step's phone numbers on the parser at once; results come back step by step. */
  private parseInSteps(
    recipients: readonly unknown[],
    zones: boolean,
  ): Promise<PhoneParseResult[]>[] {
    const steps: Promise<PhoneParseResult[]>[] = [];
    for (let start = 0; start < recipients.length; start += PIPELINE_STEP) {
      const numbers = phoneNumbersOf(recipients, start, start + PIPELINE_STEP);
      const parsing = this.phones.parse(numbers, { zones });
      parsing.catch(() => undefined); // awaited later; this only keeps an abandoned one from crashing
      steps.push(parsing);
    }
    return steps;
  }

  /**
   * The batch's messages, step by step, without duplicate numbers (the first one stays) nor
   * suppressed ones. Throws after the last step when any number is invalid or refused by the
   * destination rules, listing them all, or when every number is suppressed; the COPY then rolls
   * back.
   */
  private async *messages(
    batch: ValidatedBatch,
    parsing: Promise<PhoneParseResult[]>[],
    suppressing: Promise<Set<string>>[],
    check: DestinationCheck,
    tally: Tally,
  ): AsyncGenerator<NewMessage[]> {
    const seen = new Set<string>();
    const problems: ErrorDetail[] = [];
    for (let step = 0; step < parsing.length; step++) {
      const start = step * PIPELINE_STEP;
      const parsed = await parsing[step];
      problems.push(...phoneProblems(batch.phoneNumbers, parsed, start, check));
      if (problems.length) continue;

      const suppressed = await suppressing[step];
      const ids = uuidV7s(parsed.length);
      const keep = firstOccurrences(
        parsed.map((result) => (result as { e164: string }).e164),
        seen,
      );
      const messages: NewMessage[] = [];
      for (let i = 0; i < parsed.length; i++) {
        if (!keep[i]) continue;
        const { variables, segments, encoding } = batch.recipients[start + i];
        const { e164: phoneNumber, zones } = parsed[i] as ParsedPhoneNumber;
        if (suppressed.has(phoneNumber)) {
          tally.suppressed.push(start + i);
          continue;
        }
        // Decided once here and stored, so dispatch knows each message's providers before a claim.
        const { key: route } = routeFor(this.routing.table, phoneNumber);
        const sendZone = tally.zones.keyOf(start + i, zones);
        messages.push({ id: ids[i], phoneNumber, variables, segments, route, sendZone });
        tally.segments += segments;
        tally.encodings.add(encoding);
        tally.routes.add(route);
      }
      tally.messages += messages.length;
      yield messages;
    }
    if (problems.length) {
      this.destinations.report(check);
      throw ValidationFailed.of(problems);
    }
    if (!tally.messages && tally.suppressed.length) {
      throw new ValidationFailed(
        'Every recipient is suppressed (opted out or on a suppression list): nothing was stored.',
        tally.suppressed.map((index) => ({
          path: `recipients[${index}].phoneNumber`,
          index,
          message: 'is suppressed',
          code: SUPPRESSED_RECIPIENT,
        })),
      );
    }
  }
}

/** The E.164 numbers of a step that parsed. */
function validNumbers(parsed: readonly PhoneParseResult[]): string[] {
  return parsed.flatMap((result) => ('e164' in result ? [result.e164] : []));
}

/** The warning for recipients dropped because their number is suppressed (none when there are none). */
function suppressionWarnings(indexes: readonly number[]): BatchWarning[] {
  if (!indexes.length) return [];
  const count = `${indexes.length} recipient${indexes.length === 1 ? '' : 's'}`;
  return [
    {
      code: SUPPRESSED_RECIPIENT,
      message: `${count} dropped: the number is suppressed (opted out or on a suppression list).`,
      recipients: indexes.slice(0, MAX_WARNING_RECIPIENTS),
      recipientsTotal: indexes.length,
    },
  ];
}

/** Numbers that are invalid, and valid ones the destination rules refuse (with their code). */
function phoneProblems(
  phoneNumbers: readonly string[],
  parsed: PhoneParseResult[],
  start: number,
  check: DestinationCheck,
): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const result = parsed[i];
    const raw = phoneNumbers[start + i];
    if (raw === undefined) continue;
    const invalid = 'problem' in result;
    const problem = invalid ? result.problem : check.refusal(result.country, result.type);
    if (problem === undefined) continue;
    const shown = shownNumber(raw);
    const index = start + i;
    problems.push({
      path: `recipients[${index}].phoneNumber`,
      index,
      message: `"${shown}" ${problem}`,
      ...(invalid ? {} : { code: 'DESTINATION_NOT_ALLOWED' as const }),
    });
  }
  return problems;
}

/** The answer's warnings: the request's, then the send window's, at most MAX_WARNINGS. */
/** The answer's warnings: those about recipients' numbers first, then the variables'. */
function withWarnings(
  batch: ValidatedBatch,
  extras: readonly BatchWarning[],
): Pick<CreatedBatchDto, 'warnings' | 'warningsTotal'> {
  const total = batch.warningsTotal + extras.length;
  const warnings = [...extras, ...batch.warnings].slice(0, MAX_WARNINGS);
  return { warnings, ...(total > warnings.length ? { warningsTotal: total } : {}) };
}

function byIndex(details: ErrorDetail[]): ErrorDetail[] {
  return details.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
}
