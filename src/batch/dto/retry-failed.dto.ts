import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsOptional } from 'class-validator';
import {
  ERROR_CATEGORIES,
  OUTCOME_UNKNOWN,
  RETRYABLE_CATEGORIES,
  type ErrorCategory,
} from '../../errors/error-taxonomy';
import { BatchStatusDto } from './batch-status.dto';

export class RetryFailedDto {
  @ApiPropertyOptional({
    enum: ERROR_CATEGORIES,
    isArray: true,
    example: ['provider_error', 'timeout'],
    description: `The categories of failures to requeue; by default the retryable ones (${RETRYABLE_CATEGORIES.join(', ')}), without the unknown outcomes (code ${OUTCOME_UNKNOWN}: the provider may have sent them), which naming unknown requeues too.`,
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(ERROR_CATEGORIES, { each: true })
  categories?: ErrorCategory[];
}

export class RetryFailedResultDto extends BatchStatusDto {
  @ApiProperty({
    example: 12,
    description: 'Failed messages put back to pending (0 when there was nothing to retry).',
  })
  requeued: number;
}
