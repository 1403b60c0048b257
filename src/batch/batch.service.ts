import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { decodeCursor, encodeCursor, type Page } from '../common/pagination';
import { isUuid } from '../common/uuid-v7';
import { BatchNotFound } from '../errors/domain-error';
import { BatchIngestService } from './batch-ingest.service';
import { toBatchStatus, toMessage } from './batch.presenter';
import type { BatchStatusDto, CreatedBatchDto } from './dto/batch-status.dto';
import type { ListBatchesQuery } from './dto/list-batches.query';
import type { MessageDto, MessageQuery } from './dto/message.dto';
import { BatchEntity } from './entities/batch.entity';
import { MessageEntity } from './entities/message.entity';
import { IdempotencyService, type IdempotencyClaim } from './idempotency.service';

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
  isUuid((v as BatchCursor).id);
const isMessageCursor = (v: unknown): v is MessageCursor =>
  typeof v === 'object' && v !== null && Number.isSafeInteger((v as MessageCursor).seq);

@Injectable()
export class BatchService {
  constructor(
    @InjectRepository(BatchEntity) private readonly batches: Repository<BatchEntity>,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    private readonly ingest: BatchIngestService,
    private readonly idempotency: IdempotencyService,
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
      return { status: 201, body: await this.ingest.ingest(accountId, body, claim) };
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
}
