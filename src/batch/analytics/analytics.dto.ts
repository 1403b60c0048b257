import { SendWindowDto } from '../dto/create-batch.dto';
import { ApiProperty } from '@nestjs/swagger';
import { ERROR_CATEGORIES, type ErrorCategory } from '../../errors/error-taxonomy';
import type { BreakerState, TransitionReason } from '../../sms/routing/circuit-breakers';
import { PRIORITIES, type Priority } from '../../rate-limit/tier-rates';

export class AchievedRateDto {
  @ApiProperty({ example: 7.98, description: 'Accepted per second over the processing time.' })
  overall: number;

  @ApiProperty({ example: 8, description: 'Accepted per second over the last 10 s.' })
  last10s: number;

  @ApiProperty({ example: 7.95, description: 'Accepted per second over the last 60 s.' })
  last60s: number;
}

export class TimelineBucketDto {
  @ApiProperty({ format: 'date-time', description: 'Start of the bucket (1 s, or 10 s).' })
  t: string;

  @ApiProperty({ example: 8, description: 'Accepted by the provider (by sentAt).' })
  sent: number;

  @ApiProperty({
    example: 0,
    description: 'Final failures (negative where retry-failed took some back).',
  })
  failed: number;

  @ApiProperty({ example: 1, description: 'Rate-limit answers.' })
  throttled: number;

  @ApiProperty({
    example: 7,
    description: 'Final receipts saying delivered, by the time they came (not by sentAt).',
  })
  delivered: number;

  @ApiProperty({
    example: 0,
    description:
      "Final receipts saying not delivered (the provider's undelivered or failed after acceptance), by the time they came.",
  })
  undelivered: number;
}

export class WaitDto {
  @ApiProperty({ type: Number, nullable: true, example: 120 })
  p50: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 125 })
  p95: number | null;

  @ApiProperty({ example: 131 })
  max: number;
}

export class LatencyDto {
  @ApiProperty({ type: Number, nullable: true, example: 80 })
  p50: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 210 })
  p95: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 330 })
  p99: number | null;
}

export class ReportedRateLimitDto {
  @ApiProperty({ example: 30 })
  limit: number;

  @ApiProperty({ example: 4 })
  remaining: number;

  @ApiProperty({ example: 600 })
  resetMs: number;
}

export class ProviderRateLimitsDto {
  @ApiProperty({ example: 3, description: 'Rate-limit answers to this batch.' })
  events: number;

  @ApiProperty({ example: 3000, description: 'Pauses of the provider scope those answers caused.' })
  pausedMs: number;

  @ApiProperty({ type: Number, nullable: true, example: 1000 })
  lastRetryAfterMs: number | null;

  @ApiProperty({ type: ReportedRateLimitDto, nullable: true })
  lastRateLimit: ReportedRateLimitDto | null;
}

export class DeliveryLatencyDto {
  @ApiProperty({ type: Number, nullable: true, example: 4200 })
  p50: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 9800 })
  p95: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 31000 })
  p99: number | null;
}

export class ReceiptStatusCountDto {
  @ApiProperty({
    example: 'delivered',
    description:
      "The provider's status as its receipt named it (Twilio: queued, sending, sent, delivered, undelivered, failed).",
  })
  status: string;

  @ApiProperty({ example: 998 })
  count: number;
}

export class ReceiptCategoryCountDto {
  @ApiProperty({ enum: ERROR_CATEGORIES, example: 'unreachable' })
  category: ErrorCategory;

  @ApiProperty({ example: 2 })
  count: number;
}

export class DeliveryAnalyticsDto {
  @ApiProperty({
    type: DeliveryLatencyDto,
    description:
      'From acceptance to the final receipt, ms; null until the first final receipt. Messages still awaiting a receipt are not in it.',
  })
  latencyMs: DeliveryLatencyDto;

  @ApiProperty({
    type: [ReceiptStatusCountDto],
    description: 'Receipts applied to the batch, per provider status, most first.',
  })
  receiptsByStatus: ReceiptStatusCountDto[];

  @ApiProperty({
    type: [ReceiptCategoryCountDto],
    description:
      'Receipts that carried an error, per category (why messages were not delivered), most first.',
  })
  receiptsByCategory: ReceiptCategoryCountDto[];
}

const BREAKER_STATES: BreakerState[] = ['closed', 'half-open', 'open'];
const TRANSITION_REASONS: TransitionReason[] = [
  'failures',
  'auth',
  'probe-succeeded',
  'probe-failed',
];

export class BreakerDto {
  @ApiProperty({
    enum: BREAKER_STATES,
    example: 'closed',
    description:
      'closed: calls go through; open: none does until reopensAt; half-open: one probe message may go, and its answer closes or reopens it.',
  })
  state: BreakerState;

  @ApiProperty({ example: 0, description: 'Consecutive failed calls reported; 0 after a success.' })
  failures: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When it last opened; null when closed.',
  })
  openedAt: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When its cool-down ends and a probe may go; null when closed.',
  })
  reopensAt: string | null;
}

export class ProviderAnalyticsDto {
  @ApiProperty({ example: 'twilio' })
  provider: string;

  @ApiProperty({ example: 980, description: 'Messages of this batch it accepted.' })
  sent: number;

  @ApiProperty({
    example: 3,
    description:
      "Messages of this batch its answers failed for good (not retried), when they happened: retry-failed does not take them back, and a message whose validity ran out is no provider's failure.",
  })
  failed: number;

  @ApiProperty({ example: 950, description: 'Final receipts from it saying delivered.' })
  delivered: number;

  @ApiProperty({ example: 2, description: 'Final receipts from it saying not delivered.' })
  undelivered: number;

  @ApiProperty({
    type: LatencyDto,
    description: "How long it took to answer this batch's calls, ms (null before any call).",
  })
  latencyMs: LatencyDto;

  @ApiProperty({
    type: BreakerDto,
    nullable: true,
    description:
      'Its circuit breaker now (shared by every batch); null when Redis, which holds it, cannot be read.',
  })
  breaker: BreakerDto | null;
}

export class BreakerTransitionDto {
  @ApiProperty({ example: 'twilio' })
  provider: string;

  @ApiProperty({ enum: BREAKER_STATES, example: 'closed' })
  from: BreakerState;

  @ApiProperty({ enum: BREAKER_STATES, example: 'open' })
  to: BreakerState;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({
    enum: TRANSITION_REASONS,
    example: 'failures',
    description:
      'failures: BREAKER_FAILURES failed calls in a row; auth: the provider refused our credentials; probe-succeeded / probe-failed: what the probe after a cool-down found.',
  })
  reason: TransitionReason;
}

export class SendWindowAnalyticsDto {
  @ApiProperty({ type: SendWindowDto, description: 'The window, as the batch stored it.' })
  window: SendWindowDto;

  @ApiProperty({
    example: 120,
    description:
      'Messages waiting to be sent whose window is closed now (at most RECONCILE_INTERVAL_MS old); 0 unless processing. As waiting.outsideWindow in the batch status.',
  })
  outsideWindow: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2030-01-31T14:00:00.000Z',
    description: 'When the first of those windows opens; null when none waits.',
  })
  nextWindowAt: string | null;
}

export class BatchAnalyticsDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ enum: PRIORITIES, example: 'high' })
  priority: Priority;

  @ApiProperty({ example: 8, description: "The tier's rate, messages per second." })
  configuredRate: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 8,
    description: "Its share of the provider's ceiling now (null when the limiter cannot say).",
  })
  allottedRate: number | null;

  @ApiProperty({ type: AchievedRateDto })
  achievedRate: AchievedRateDto;

  @ApiProperty({
    type: [TimelineBucketDto],
    description:
      'Per second while the batch has processed for 10 minutes or less, else per 10 s. The sums of sent and failed equal progress.completed and progress.failed.',
  })
  timeline: TimelineBucketDto[];

  @ApiProperty({ type: WaitDto, description: 'How long messages waited for a permit, ms.' })
  limiterWaitMs: WaitDto;

  @ApiProperty({ type: ProviderRateLimitsDto })
  providerRateLimits: ProviderRateLimitsDto;

  @ApiProperty({ type: LatencyDto, description: 'How long the provider took to answer, ms.' })
  providerLatencyMs: LatencyDto;

  @ApiProperty({ example: 1200, description: 'SMS segments of the accepted messages.' })
  segmentsSent: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 42,
    description: 'Null when not processing.',
  })
  etaSeconds: number | null;

  @ApiProperty({
    type: DeliveryAnalyticsDto,
    description:
      "What became of the accepted messages, from the provider's delivery receipts. The counts per message are in the batch status (delivery).",
  })
  delivery: DeliveryAnalyticsDto;

  @ApiProperty({
    type: [ProviderAnalyticsDto],
    description:
      "Per provider: every provider in use (SMS_ROUTES, or SMS_PROVIDER), then any other that this batch's messages went to, zeros where nothing happened.",
  })
  providers: ProviderAnalyticsDto[];

  @ApiProperty({
    type: [BreakerTransitionDto],
    description:
      "The last 20 changes of any provider's circuit breaker (the whole service's, not only this batch's), newest first; empty when Redis cannot be read.",
  })
  breakerTransitions: BreakerTransitionDto[];

  @ApiProperty({
    type: SendWindowAnalyticsDto,
    nullable: true,
    description: 'Its send window (options.sendWindow) and what waits for it; null without one.',
  })
  sendWindow: SendWindowAnalyticsDto | null;
}
