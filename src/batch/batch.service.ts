import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination';
import { uuidV7s } from '../common/uuid-v7';
import { ingestConfig, type IngestConfig } from '../config/configuration';
import { BatchNotFound, type ErrorDetail } from '../errors/domain-error';
import { BatchIngestRepository, type NewBatch, type NewMessage } from './batch-ingest.repository';
import { toBatchStatus, toMessage } from './batch.presenter';
import { invalid, validateCreateBatch, type ValidatedBatch } from './create-batch.validation';
import type { BatchStatusDto, CreatedBatchDto } from './dto/batch-status.dto';
import type { ListBatchesQuery } from './dto/list-batches.query';
import type { MessageDto, MessageQuery } from './dto/message.dto';
import { BatchEntity } from './entities/batch.entity';
import { MessageEntity } from './entities/message.entity';
import { IdempotencyService, type IdempotencyClaim } from './idempotency.service';
import { PhoneNumberParser } from './phone/phone-number-parser.service';

export interface CreateBatchResult {
  status: number;
  body: CreatedBatchDto;
}

type BatchCursor = { createdAt: string; id: string };
type MessageCursor = { seq: number };

const isBatchCursor = (v: unknown): v is BatchCursor =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as BatchCursor).createdAt === 'string' &&
  !Number.isNaN(Date.parse((v as BatchCursor).createdAt)) &&
  typeof (v as BatchCursor).id === 'string' &&
  /^[0-9a-f-]{36}$/.test((v as BatchCursor).id);
const isMessageCursor = (v: unknown): v is MessageCursor =>
  typeof v === 'object' && v !== null && Number.isSafeInteger((v as MessageCursor).seq);

@Injectable()
export class BatchService {
  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(BatchEntity) private readonly batches: Repository<BatchEntity>,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    private readonly ingest: BatchIngestRepository,
    private readonly phones: PhoneNumberParser,
    private readonly idempotency: IdempotencyService,
    @Inject(ingestConfig.KEY) private readonly config: IngestConfig,
  ) {}

  async create(
    accountId: string,
    body: unknown,
    idempotencyKey?: string,
  ): Promise<CreateBatchResult> {
    let claim: IdempotencyClaim | undefined;
    if (idempotencyKey !== undefined) {
      const outcome = await this.idempotency.begin(accountId, idempotencyKey, body);
      if (outcome.kind === 'replay') {
        return { status: outcome.status, body: outcome.body as CreatedBatchDto };
      }
      claim = outcome.claim;
    }
    try {
      return { status: 201, body: await this.store(accountId, body, claim) };
    } catch (error) {
      if (claim) await this.idempotency.release(claim);
      throw error;
    }
  }

  async findOne(accountId: string, id: string): Promise<BatchStatusDto> {
    return toBatchStatus(await this.getOwned(accountId, id));
  }

  async list(accountId: string, query: ListBatchesQuery): Promise<Page<BatchStatusDto>> {
    const qb = this.batches
      .createQueryBuilder('b')
      .where('b.account_id = :accountId', { accountId })
      .orderBy('b.created_at', 'DESC')
      .addOrderBy('b.id', 'DESC')
      .limit(query.limit + 1);
    if (query.status) qb.andWhere('b.status = :status', { status: query.status });
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor, isBatchCursor);
      qb.andWhere('(b.created_at, b.id) < (:createdAt, :id)', cursor);
    }
    const rows = await qb.getMany();
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toBatchStatus),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id })
          : null,
    };
  }

  async listMessages(
    accountId: string,
    batchId: string,
    query: MessageQuery,
  ): Promise<Page<MessageDto>> {
    await this.getOwned(accountId, batchId);
    const qb = this.messages
      .createQueryBuilder('m')
      .where('m.batch_id = :batchId', { batchId })
      .orderBy('m.seq', 'ASC')
      .limit(query.limit + 1);
    if (query.status) qb.andWhere('m.status = :status', { status: query.status });
    if (query.cursor) qb.andWhere('m.seq > :seq', decodeCursor(query.cursor, isMessageCursor));
    const rows = await qb.getMany();
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toMessage),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ seq: last.seq }) : null,
    };
  }

  /** Another account's batch is as invisible as one that does not exist. */
  private async getOwned(accountId: string, id: string): Promise<BatchEntity> {
    const batch = await this.batches.findOneBy({ id, accountId });
    if (!batch) throw new BatchNotFound(id);
    return batch;
  }

  private async store(
    accountId: string,
    body: unknown,
    claim?: IdempotencyClaim,
  ): Promise<CreatedBatchDto> {
    const now = new Date();
    const batch = validateCreateBatch(body, {
      maxRecipients: this.config.maxRecipientsPerRequest,
      now,
    });
    const { messages, duplicatesDropped, segments, encodings } = await this.buildMessages(batch);

    const { options, template } = batch;
    const startsNow = options.autoStart && (!options.scheduleTime || options.scheduleTime <= now);
    const row: NewBatch = {
      id: randomUUID(),
      accountId,
      text: template.text,
      variables: [...template.variables],
      priority: options.priority,
      status: startsNow ? 'processing' : 'pending',
      autoStart: options.autoStart,
      scheduleTime: options.scheduleTime,
      startedAt: startsNow ? now : null,
      total: messages.length,
      pendingCount: messages.length,
      completedCount: 0,
      failedCount: 0,
      cancelledCount: 0,
      segments,
      encodings: [...encodings].sort(),
      // Milliseconds, like every JavaScript date: the list's keyset cursor round-trips exactly.
      createdAt: now,
    };
    return this.dataSource.transaction(async (manager) => {
      await this.ingest.insert(manager, row, messages);
      const response: CreatedBatchDto = {
        ...toBatchStatus({ ...row, completedAt: null, pauseReason: null, failureReason: null }),
        warnings: batch.warnings,
        duplicatesDropped,
      };
      if (claim) await this.idempotency.complete(manager, claim, 201, response);
      return response;
    });
  }

  /** Parses every phone number, reports all recipients' problems at once, and drops duplicates. */
  private async buildMessages(batch: ValidatedBatch): Promise<{
    messages: NewMessage[];
    duplicatesDropped: number;
    segments: number;
    encodings: Set<string>;
  }> {
    const { recipients, phoneNumbers, details } = batch;
    const parsed = await this.phones.parse(Array.from(phoneNumbers, (raw) => raw ?? ''));
    const phoneProblems: ErrorDetail[] = [];
    for (let index = 0; index < parsed.length; index++) {
      const result = parsed[index];
      const raw = phoneNumbers[index];
      if (raw !== undefined && 'problem' in result) {
        const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
        phoneProblems.push({
          path: `recipients[${index}].phoneNumber`,
          index,
          message: `"${shown}" ${result.problem}`,
        });
      }
    }
    if (details.length || phoneProblems.length) {
      throw invalid([...details, ...phoneProblems].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)));
    }

    const ids = uuidV7s(recipients.length);
    const seen = new Set<string>();
    const messages: NewMessage[] = [];
    const encodings = new Set<string>();
    let totalSegments = 0;
    for (let index = 0; index < recipients.length; index++) {
      const { e164 } = parsed[index] as { e164: string };
      if (seen.has(e164)) continue;
      seen.add(e164);
      const { variables, segments, encoding } = recipients[index];
      messages.push({ id: ids[messages.length], phoneNumber: e164, variables, segments });
      encodings.add(encoding);
      totalSegments += segments;
    }
    return {
      messages,
      duplicatesDropped: recipients.length - messages.length,
      segments: totalSegments,
      encodings,
    };
  }
}
