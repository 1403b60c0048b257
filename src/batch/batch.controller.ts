import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentAccount } from '../accounts/current-account.decorator';
import { ParseUuidPipe } from '../common/parse-uuid.pipe';
import { ApiErrors } from '../errors/error-responses.decorator';
import { JsonBody } from '../request-body/body-limits';
import { retrySelection } from '../errors/error-taxonomy';
import { CountsAsBatchCreation } from '../security/throttling/http-throttle';
import { BatchService } from './batch.service';
import { CreateBatchDto } from './dto/create-batch.dto';
import { BatchPageDto, BatchStatusDto, CreatedBatchDto } from './dto/batch-status.dto';
import { ListBatchesQuery } from './dto/list-batches.query';
import { MessagePageDto, MessageQuery } from './dto/message.dto';
import { RetryFailedDto, RetryFailedResultDto } from './dto/retry-failed.dto';

@ApiTags('batches')
@ApiBearerAuth()
@Controller('api/batch')
export class BatchController {
  constructor(private readonly batches: BatchService) {}

  @Post()
  @JsonBody('batch')
  @CountsAsBatchCreation()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a batch: validate every recipient and store it' })
  @ApiBody({ type: CreateBatchDto })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Kept 24 h per account: the same key with an equal body replays the first 201; another body is a 422; while the first is in flight, 409.',
  })
  @ApiCreatedResponse({
    type: CreatedBatchDto,
    description: 'Stored; the Location header points at the batch.',
    headers: {
      Location: { description: 'The batch: /api/batch/{id}', schema: { type: 'string' } },
    },
  })
  @ApiErrors(
    'VALIDATION_FAILED',
    'TOO_MANY_RECIPIENTS',
    'PAYLOAD_TOO_LARGE',
    'IDEMPOTENCY_KEY_REUSED',
    'IDEMPOTENCY_IN_PROGRESS',
    'SERVICE_UNAVAILABLE',
    'QUOTA_EXCEEDED',
  )
  async create(
    @CurrentAccount() accountId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CreatedBatchDto> {
    const created = await this.batches.create(accountId, body, idempotencyKey);
    response.status(created.status).location(`/api/batch/${created.body.id}`);
    return created.body;
  }

  @Get()
  @ApiOperation({ summary: "The account's batches, newest first" })
  @ApiOkResponse({ type: BatchPageDto })
  @ApiErrors('VALIDATION_FAILED')
  list(
    @CurrentAccount() accountId: string,
    @Query() query: ListBatchesQuery,
  ): Promise<BatchPageDto> {
    return this.batches.list(accountId, query);
  }

  @Get(':id')
  @ApiOperation({ summary: "A batch's status, progress and metrics" })
  @ApiOkResponse({ type: BatchStatusDto })
  @ApiErrors('INVALID_ID', 'BATCH_NOT_FOUND')
  findOne(
    @CurrentAccount() accountId: string,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<BatchStatusDto> {
    return this.batches.findOne(accountId, id);
  }

  @Get(':id/messages')
  @ApiOperation({ summary: "The batch's message log, in recipient order" })
  @ApiOkResponse({ type: MessagePageDto })
  @ApiErrors('INVALID_ID', 'BATCH_NOT_FOUND', 'VALIDATION_FAILED')
  messages(
    @CurrentAccount() accountId: string,
    @Param('id', ParseUuidPipe) id: string,
    @Query() query: MessageQuery,
  ): Promise<MessagePageDto> {
    return this.batches.listMessages(accountId, id, query);
  }

  @Post(':id/start')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Start a pending batch now (also one waiting for its schedule)',
    description:
      "The batch takes its messages and segments from the account's daily quotas; over either, 429 QUOTA_EXCEEDED with Retry-After and the batch stays pending.",
  })
  @ApiOkResponse({ type: BatchStatusDto })
  @ApiErrors(
    'INVALID_ID',
    'BATCH_NOT_FOUND',
    'INVALID_TRANSITION',
    'PAYLOAD_TOO_LARGE',
    'QUOTA_EXCEEDED',
  )
  start(
    @CurrentAccount() accountId: string,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<BatchStatusDto> {
    return this.batches.act(accountId, id, 'start');
  }

  @Post(':id/pause')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pause a processing batch: nothing more is sent until it is resumed' })
  @ApiOkResponse({ type: BatchStatusDto })
  @ApiErrors('INVALID_ID', 'BATCH_NOT_FOUND', 'INVALID_TRANSITION', 'PAYLOAD_TOO_LARGE')
  pause(
    @CurrentAccount() accountId: string,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<BatchStatusDto> {
    return this.batches.act(accountId, id, 'pause');
  }

  @Post(':id/resume')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Resume a paused batch',
    description:
      'A batch the daily quota paused at its scheduled start takes its quota now; over it, 429 QUOTA_EXCEEDED and the batch stays paused.',
  })
  @ApiOkResponse({ type: BatchStatusDto })
  @ApiErrors(
    'INVALID_ID',
    'BATCH_NOT_FOUND',
    'INVALID_TRANSITION',
    'PAYLOAD_TOO_LARGE',
    'QUOTA_EXCEEDED',
  )
  resume(
    @CurrentAccount() accountId: string,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<BatchStatusDto> {
    return this.batches.act(accountId, id, 'resume');
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a pending, processing or paused batch: its unsent messages are cancelled',
  })
  @ApiOkResponse({ type: BatchStatusDto })
  @ApiErrors('INVALID_ID', 'BATCH_NOT_FOUND', 'INVALID_TRANSITION', 'PAYLOAD_TOO_LARGE')
  cancel(
    @CurrentAccount() accountId: string,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<BatchStatusDto> {
    return this.batches.act(accountId, id, 'cancel');
  }

  @Post(':id/retry-failed')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send failed messages again: a finished batch reopens',
    description:
      'Failed messages of the named categories (by default the retryable ones, except unknown outcomes (code OUTCOME_UNKNOWN) unless `unknown` is named) go back to pending with their attempts reset; a completed or failed batch goes back to processing, and the validity clock and the error-rate window restart. With nothing to retry: 200 with requeued 0. A cancelled batch: 409. The requeued messages and their segments count against the daily quotas again (429 QUOTA_EXCEEDED over them, nothing requeued).',
  })
  @ApiBody({ type: RetryFailedDto, required: false })
  @ApiOkResponse({ type: RetryFailedResultDto })
  @ApiErrors(
    'INVALID_ID',
    'BATCH_NOT_FOUND',
    'INVALID_TRANSITION',
    'VALIDATION_FAILED',
    'PAYLOAD_TOO_LARGE',
    'QUOTA_EXCEEDED',
  )
  retryFailed(
    @CurrentAccount() accountId: string,
    @Param('id', ParseUuidPipe) id: string,
    @Body() body: RetryFailedDto,
  ): Promise<RetryFailedResultDto> {
    return this.batches.retryFailed(accountId, id, retrySelection(body.categories));
  }
}
