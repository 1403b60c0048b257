import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STAGES, type ErrorStage } from './message-error.entity';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { ERROR_CATEGORIES, type ErrorCategory } from '../error-taxonomy';

export class ErrorCodeCountDto {
  @ApiProperty({ example: 'SIM_PROVIDER_ERROR' })
  code: string;

  @ApiProperty({ example: 40 })
  count: number;
}

export class ErrorSummaryDto {
  @ApiProperty({ enum: ERROR_CATEGORIES, example: 'provider_error' })
  category: ErrorCategory;

  @ApiProperty({
    example: 48,
    description:
      'Entries in the log: failed attempts, plus final failures without a call (validity expired).',
  })
  count: number;

  @ApiProperty({ example: 12, description: 'Distinct messages with at least one such failure.' })
  messages: number;

  @ApiProperty({
    example: true,
    description:
      'Whether Salvo retries failures of this category (and retry-failed requeues them); false when every entry came from a delivery receipt (stage `delivery`): those messages were sent.',
  })
  retryable: boolean;

  @ApiProperty({
    type: [ErrorCodeCountDto],
    description: 'The most frequent provider codes (at most 5), most frequent first.',
  })
  codes: ErrorCodeCountDto[];

  @ApiProperty({ example: 'Temporary provider error.', description: 'A provider message.' })
  example: string;

  @ApiProperty({ format: 'date-time' })
  firstAt: string;

  @ApiProperty({ format: 'date-time' })
  lastAt: string;
}

export class ErrorItemDto {
  @ApiProperty({ format: 'uuid' })
  messageId: string;

  @ApiProperty({ example: '+12025550195' })
  phoneNumber: string;

  @ApiProperty({
    example: 2,
    description:
      "The message's attempt this was (attempts are counted as in the message log; a failure without a call carries the last attempt's number).",
  })
  attempt: number;

  @ApiProperty({ enum: ERROR_CATEGORIES, example: 'provider_error' })
  category: ErrorCategory;

  @ApiProperty({ example: 'SIM_PROVIDER_ERROR' })
  code: string;

  @ApiProperty({ example: 'Temporary provider error.' })
  message: string;

  @ApiProperty({ description: 'Whether Salvo scheduled another attempt after this one.' })
  retried: boolean;

  @ApiProperty({
    enum: ERROR_STAGES,
    example: 'send',
    description:
      '`send`: the provider refused the call; `delivery`: the provider accepted it, then its delivery receipt said undelivered (never retried, never counted by the error-rate guard).',
  })
  stage: ErrorStage;

  @ApiProperty({
    format: 'date-time',
    description: 'When the provider answered (for `delivery`, when its receipt came).',
  })
  at: string;
}

export class ErrorLogDto {
  @ApiProperty({
    type: [ErrorSummaryDto],
    description: 'One entry per category seen in the batch, the most frequent first.',
  })
  summary: ErrorSummaryDto[];

  @ApiProperty({ type: [ErrorItemDto], description: 'Failed attempts, newest first.' })
  items: ErrorItemDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class ErrorLogQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ERROR_CATEGORIES, description: 'Only failures of this category.' })
  @IsOptional()
  @IsIn(ERROR_CATEGORIES)
  category?: ErrorCategory;

  @ApiPropertyOptional({
    example: 'SIM_PROVIDER_ERROR',
    description: 'Only this provider code (printable ASCII, as provider codes are).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  // PostgreSQL refuses a NUL in text (a 500 the fuzz suite found); no provider code has a control
  // character or anything outside ASCII.
  @Matches(/^[\x20-\x7E]*$/, { message: 'code must hold printable ASCII characters only' })
  code?: string;
}
