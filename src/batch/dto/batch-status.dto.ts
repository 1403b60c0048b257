import { ApiProperty } from '@nestjs/swagger';
import { PRIORITIES, type Priority } from '../../rate-limit/tier-rates';
import { WARNING_CODES } from '../create-batch.validation';
import { BATCH_STATUSES, type BatchStatus } from '../entities/batch.entity';

export class ProgressDto {
  @ApiProperty({
    example: 1000,
    description: 'Messages in the batch: pending + completed + failed + cancelled.',
  })
  total: number;

  @ApiProperty({ example: 1000, description: 'Waiting, in flight, or waiting for a retry.' })
  pending: number;

  @ApiProperty({ example: 0, description: 'Accepted by the provider.' })
  completed: number;

  @ApiProperty({ example: 0, description: 'Reached a final failure.' })
  failed: number;

  @ApiProperty({
    example: 0,
    description: 'Will never be sent (batch cancelled or stopped by a fatal error).',
  })
  cancelled: number;
}

export class DeliveryDto {
  @ApiProperty({ example: 0, description: 'Accepted messages whose receipt said delivered.' })
  delivered: number;

  @ApiProperty({
    example: 0,
    description:
      'Accepted messages whose receipt said undelivered (the error log says why, stage `delivery`).',
  })
  undelivered: number;

  @ApiProperty({ example: 0, description: 'Accepted messages waiting for their final receipt.' })
  awaiting: number;

  @ApiProperty({
    example: 0,
    description:
      'Accepted messages with no final receipt within DELIVERY_RECEIPT_TIMEOUT_HOURS (a later one still counts).',
  })
  unknown: number;
}

export class MetricsDto {
  @ApiProperty({
    example: 0,
    description:
      'Accepted messages per second: over the last 10 s while processing, 0 while paused, the average over the processing time once finished.',
  })
  messagesPerSecond: number;

  @ApiProperty({
    example: 0,
    description: 'completed / (completed + failed), in [0, 1]; 0 while nothing is final.',
  })
  successRate: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: null,
    description:
      'delivered / (delivered + undelivered), in [0, 1]; null until the first final receipt.',
  })
  deliveryRate: number | null;
}

export class WaitingDto {
  @ApiProperty({
    type: [String],
    example: [],
    description:
      'Providers whose circuit breakers are open (or half-open, letting one probe through) while every provider of some route of the batch is: its messages on those routes wait (pending) until one recovers. Empty unless the batch is processing.',
  })
  providersDown: string[];

  @ApiProperty({
    example: 0,
    description:
      'Messages waiting to be sent whose send window (options.sendWindow) is closed now: they go when it opens. Counted by the reconciler, so at most RECONCILE_INTERVAL_MS old; 0 unless the batch is processing with a send window. `progress` counts them as pending.',
  })
  outsideWindow: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description:
      'When the first of those closed windows opens (ISO 8601); null when no message waits for its window.',
  })
  nextWindowAt: string | null;
}

export class BatchStatusDto {
  @ApiProperty({ format: 'uuid', example: '0b6c4f5e-2f8a-4c37-9d0e-5d6f1f3a9b21' })
  id: string;

  @ApiProperty({ enum: BATCH_STATUSES, example: 'processing' })
  status: BatchStatus;

  @ApiProperty({ enum: PRIORITIES, example: 'normal' })
  priority: Priority;

  @ApiProperty({ example: 'Hi {{name}}, your code is {{code}}' })
  text: string;

  @ApiProperty({ type: ProgressDto })
  progress: ProgressDto;

  @ApiProperty({
    type: DeliveryDto,
    description:
      "What became of the accepted messages, from the provider's delivery receipts: delivered + undelivered + awaiting + unknown = progress.completed at every read. These counts keep moving after the batch is final, as receipts come.",
  })
  delivery: DeliveryDto;

  @ApiProperty({ type: MetricsDto })
  metrics: MetricsDto;

  @ApiProperty({ example: 1000, description: 'Total SMS segments of the rendered messages.' })
  segments: number;

  @ApiProperty({
    example: ['GSM-7'],
    description: 'Encodings of the rendered messages: GSM-7 and/or UCS-2.',
  })
  encodings: string[];

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  scheduleTime: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-28T12:00:00.000Z' })
  createdAt: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-28T12:00:00.000Z',
  })
  startedAt: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'Set when the batch becomes completed, failed or cancelled.',
  })
  completedAt: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  pauseReason: string | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  failureReason: string | null;

  @ApiProperty({ type: WaitingDto, description: 'What the batch waits for.' })
  waiting: WaitingDto;
}

export class BatchWarningDto {
  @ApiProperty({
    enum: WARNING_CODES,
    description:
      "UNUSED_VARIABLE and NEAR_MISS_VARIABLE: a variable the template does not use; SUPPRESSED_RECIPIENT: recipients dropped because their number is suppressed (opted out, or on a suppression list); SEND_WINDOW_ZONES_DISJOINT: these recipients' numbers may be in several time zones whose send windows never overlap; their messages go in the window of the zone whose window opens latest (the one furthest west).",
  })
  code: (typeof WARNING_CODES)[number];

  @ApiProperty({
    example:
      'Variable "first_name" (given by 2 recipients) is not in the template; did you mean "firstName"? It was not stored.',
  })
  message: string;

  @ApiProperty({
    required: false,
    example: 'first_name',
    description:
      'The variable as the recipients gave it; absent for warnings about recipients rather than variables.',
  })
  variable?: string;

  @ApiProperty({
    required: false,
    example: 'firstName',
    description: 'The template variable it resembles (NEAR_MISS_VARIABLE).',
  })
  suggestion?: string;

  @ApiProperty({
    type: [Number],
    example: [0, 1],
    description: 'Indexes of the recipients it is about (the first 100).',
  })
  recipients: number[];

  @ApiProperty({ example: 2, description: 'How many recipients it is about.' })
  recipientsTotal: number;
}

export class CreatedBatchDto extends BatchStatusDto {
  @ApiProperty({
    type: [BatchWarningDto],
    description: 'At most 100; warningsTotal counts them all when there are more.',
  })
  warnings: BatchWarningDto[];

  @ApiProperty({
    required: false,
    example: 250,
    description: 'Present when warnings were cut at 100.',
  })
  warningsTotal?: number;

  @ApiProperty({
    example: 0,
    description: 'Recipients dropped because their number (in E.164) came earlier in the list.',
  })
  duplicatesDropped: number;

  @ApiProperty({
    example: 0,
    description:
      'Recipients dropped because their number is suppressed for this account (its own suppression list, or an opt-out that holds for every account); named in a SUPPRESSED_RECIPIENT warning. When every recipient is, the request is a 400 and nothing is stored.',
  })
  suppressedDropped: number;
}

export class BatchPageDto {
  @ApiProperty({ type: [BatchStatusDto] })
  items: BatchStatusDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as ?cursor= for the next page; null on the last.',
  })
  nextCursor: string | null;
}
