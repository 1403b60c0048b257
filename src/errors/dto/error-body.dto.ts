// The error body of every route as Swagger shows it (error-body.ts builds it).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_STATUS, type DetailCode, type ErrorCode } from '../domain-error';

export class ErrorDetailDto {
  @ApiProperty({ example: 'recipients[3].variables.code' })
  path: string;

  @ApiProperty({ example: 'is missing' })
  message: string;

  @ApiPropertyOptional({
    example: 3,
    description: 'The recipient index, for problems of a recipient.',
  })
  index?: number;

  @ApiPropertyOptional({
    enum: ['DESTINATION_NOT_ALLOWED', 'SUPPRESSED_RECIPIENT'],
    description:
      'A code of its own for some problems: DESTINATION_NOT_ALLOWED for a phone number whose country or number type this service does not send to; SUPPRESSED_RECIPIENT for a number that is suppressed, when every recipient of a batch is.',
  })
  code?: DetailCode;
}

export class ErrorBodyDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ enum: Object.keys(ERROR_STATUS), example: 'VALIDATION_FAILED' })
  error: ErrorCode;

  @ApiProperty({ example: 'The request is invalid: recipients[3].variables.code is missing.' })
  message: string;

  @ApiPropertyOptional({
    type: [ErrorDetailDto],
    description: 'At most 100; detailsTotal counts them all when there are more.',
  })
  details?: ErrorDetailDto[];

  @ApiPropertyOptional({ example: 250 })
  detailsTotal?: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'On 500s; the same id is in the log.' })
  correlationId?: string;
}
