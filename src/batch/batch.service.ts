import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { decodeCursor, isCursorDate, toPage, type Page } from '../common/pagination';
import { isUuid } from '../common/uuid-v7';
import { routingConfig, type RoutingConfig, type SmsProviderName } from '../config/configuration';
import { BatchNotFound } from '../errors/domain-error';
import type { BreakerState } from '../sms/routing/circuit-breakers';
import { ProviderBreakers } from '../sms/routing/provider-breakers';
import { providersDown } from '../sms/routing/provider-choice';
import type { BatchRef } from './events/batch-notices';
import { BatchEvents } from './events/batch-events';
import { BatchIngestService } from './batch-ingest.service';
import { BatchLifecycleService } from './batch-lifecycle.service';
import type { StatusAction } from './batch-transitions';
import { DispatchProducer } from './dispatch/dispatch.producer';
import { toBatchStatus, toMessage } from './batch.presenter';
import { SentRateService } from './sent-rate.service';
import type { BatchStatusDto, CreatedBatchDto } from './dto/batch-status.dto';
import type { ListBatchesQuery } from './dto/list-batches.query';
import type { MessageDto, MessageQuery } from './dto/message.dto';
import type { RetryFailedResultDto } from './dto/retry-failed.dto';
import type { RetrySelection } from '../errors/error-taxonomy';
import { BatchEntity } from './entities/batch.entity';
import { MessageEntity } from './entities/message.entity';
import { IdempotencyService, type IdempotencyClaim } from './idempotency.service';

/** A batch's status with the account that owns it. */
export interface OwnedStatus {
  accountId: string;
  status: BatchStatusDto;
}

export interface CreateBatchResult {
  status: number;
  body: CreatedBatchDto;
}

type BatchCursor = { createdAt: string; id: string };
type MessageCursor = { seq: number };

const MAX_SEQ = 2 ** 31 - 1;

/** Cursors come back from clients: check them as strictly as PostgreSQL will. */
const isBatchCursor = (v: unknown): v is BatchCursor => {
  const { createdAt, id } = (v ?? {}) as Partial<BatchCursor>;
  return isCursorDate(createdAt) && typeof id === 'string' && isUuid(id);
};
const isMessageCursor = (v: unknown): v is MessageCursor => {
  const { seq } = (v ?? {}) as Partial<MessageCursor>;
  return Number.isInteger(seq) && seq! >= 0 && seq! <= MAX_SEQ;
};

@Injectable()
export class BatchService {
  private readonly logger = new Logger(BatchService.name);

  constructor(
    @InjectRepository(BatchEntity) private readonly batches: Repository<BatchEntity>,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    private readonly ingest: BatchIngestService,
    private readonly idempotency: IdempotencyService,
    private readonly lifecycle: BatchLifecycleService,
    private readonly producer: DispatchProducer,
    private readonly sentRate: SentRateService,
    private readonly events: BatchEvents,
    private readonly breakers: ProviderBreakers,
    @Inject(routingConfig.KEY) private readonly routing: RoutingConfig,
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
    let created: CreatedBatchDto;
    try {
      created = claim
        ? await this.idempotency.hold(claim, () => this.ingest.ingest(accountId, body, claim))
        : await this.ingest.ingest(accountId, body);
    } catch (error) {
      if (claim) await this.idempotency.release(claim);
      throw error;
    }
    // Followers of the whole account learn of the batch from its first status, before any
    // progress its dispatch makes.
    const {
      warnings: _w,
      warningsTotal: _t,
      duplicatesDropped: _d,
      suppressedDropped: _s,
      ...status
    } = created;
    this.events.statusChanged(accountId, status);
    if (created.status === 'processing') await this.queueDispatch(created);
    return { status: 201, body: created };
  }

  /** Runs a lifecycle action and answers the batch's new status. */
  async act(accountId: string, id: string, action: StatusAction): Promise<BatchStatusDto> {
    const [status] = await this.present([await this.lifecycle[action](accountId, id)]);
    this.events.statusChanged(accountId, status);
    return status;
  }

  async retryFailed(
    accountId: string,
    id: string,
    selection: RetrySelection,
  ): Promise<RetryFailedResultDto> {
    const { requeued, reopened, batch } = await this.lifecycle.retryFailed(
      accountId,
      id,
      selection,
    );
    const [status] = await this.present([batch]);
    // Counters moved back: a new status for a reopened batch, fresh progress otherwise.
    if (reopened) this.events.statusChanged(accountId, status);
    else if (requeued) this.events.progressed([{ id, accountId }]);
    return { ...status, requeued };
  }

  /** Current states by id, whoever owns them (for processes that publish or relay events). */
  async snapshots(ids: readonly string[]): Promise<Map<string, OwnedStatus>> {
    if (!ids.length) return new Map();
    const batches = await this.batches.findBy({ id: In([...ids]) });
    const statuses = await this.present(batches);
    return new Map(
      batches.map((batch, i) => [batch.id, { accountId: batch.accountId, status: statuses[i] }]),
    );
  }

  /**
   * The batches of these accounts that may have changed since `since` (unfinished ones, and those
   * created or finished since), newest first, `limit` at most: what a follower of a whole account
   * may have missed while notices were lost.
   */
  movedSince(accountIds: readonly string[], since: Date, limit: number): Promise<BatchRef[]> {
    if (!accountIds.length) return Promise.resolve([]);
    return this.batches.query(
      `SELECT id, account_id AS "accountId" FROM batches
       WHERE account_id = ANY($1)
         AND (status IN ('pending', 'processing', 'paused') OR created_at >= $2 OR completed_at >= $2)
       ORDER BY created_at DESC LIMIT $3`,
      [accountIds, since, limit],
    );
  }

  /**
   * Publishes the status of batches that just changed status, as the change left them (read in
   * its transaction). Never throws: a notice is best effort, the change itself is committed.
   */
  async announce(batches: readonly BatchEntity[]): Promise<void> {
    if (!batches.length) return;
    try {
      const statuses = await this.present([...batches]);
      batches.forEach((batch, i) => this.events.statusChanged(batch.accountId, statuses[i]));
    } catch (error) {
      this.logger.warn(`Could not announce new batch statuses: ${(error as Error).message}`);
    }
  }

  async findOne(accountId: string, id: string): Promise<BatchStatusDto> {
    const [status] = await this.present([await this.getOwned(accountId, id)]);
    return status;
  }

  /** Throws BatchNotFound unless the account owns the batch: one indexed read, nothing presented. */
  async assertOwned(accountId: string, id: string): Promise<void> {
    if (!(await this.batches.existsBy({ id, accountId }))) throw new BatchNotFound(id);
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
    const page = toPage(
      await qb.getMany(),
      query.limit,
      (row) => row,
      (last) => ({
        createdAt: last.createdAt.toISOString(),
        id: last.id,
      }),
    );
    return { ...page, items: await this.present(page.items) };
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
    return toPage(await qb.getMany(), query.limit, toMessage, (last) => ({ seq: last.seq }));
  }

  /** Status bodies, with the recent send rate of those processing and the providers they wait for. */
  private async present(batches: BatchEntity[]): Promise<BatchStatusDto[]> {
    const processing = batches.filter((b) => b.status === 'processing').map((b) => b.id);
    const [recent, breakers] = await Promise.all([
      this.sentRate.recent(processing),
      processing.length ? this.breakerStates() : new Map<SmsProviderName, BreakerState>(),
    ]);
    const { table, providers } = this.routing;
    return batches.map((batch) =>
      toBatchStatus(
        batch,
        recent.get(batch.id) ?? 0,
        Date.now(),
        providersDown(batch.routes, table, providers, breakers),
      ),
    );
  }

  /** The breakers' states; all closed when Redis cannot say (a status read never fails on it). */
  private async breakerStates(): Promise<Map<SmsProviderName, BreakerState>> {
    try {
      const states = await this.breakers.states();
      return new Map([...states].map(([name, status]) => [name, status.state]));
    } catch (error) {
      this.logger.warn(`Could not read the providers' breakers: ${(error as Error).message}`);
      return new Map();
    }
  }

  /** Queued after the commit; when Redis is away the reconciler queues it a moment later. */
  private async queueDispatch(batch: CreatedBatchDto): Promise<void> {
    try {
      await this.producer.enqueue({
        id: batch.id,
        priority: batch.priority,
        total: batch.progress.total,
        generation: 0,
      });
    } catch (error) {
      this.logger.warn(
        `Could not queue batch ${batch.id} now; the reconciler will: ${(error as Error).message}`,
      );
    }
  }

  /** Another account's batch is as invisible as one that does not exist. */
  private async getOwned(accountId: string, id: string): Promise<BatchEntity> {
    const batch = await this.batches.findOneBy({ id, accountId });
    if (!batch) throw new BatchNotFound(id);
    return batch;
  }
}
