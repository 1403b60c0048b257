import { ApiProperty } from '@nestjs/swagger';

export class UsageCounterDto {
  @ApiProperty({ example: 1200, description: 'Taken today by batches made sendable.' })
  used: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 10000,
    description: "Today's limit of this account; null when unlimited.",
  })
  limit: number | null;
}

/** GET /api/usage. */
export class UsageDto {
  @ApiProperty({ example: '2026-11-30', description: 'The UTC day the usage counts.' })
  date: string;

  @ApiProperty({
    type: UsageCounterDto,
    description: 'Messages: every message of a batch counts when the batch becomes sendable.',
  })
  messages: UsageCounterDto;

  @ApiProperty({
    type: UsageCounterDto,
    description: 'Segments: the billable SMS parts of those messages.',
  })
  segments: UsageCounterDto;

  @ApiProperty({
    format: 'date-time',
    example: '2026-12-01T00:00:00.000Z',
    description: 'The next UTC midnight, when usage starts again from 0.',
  })
  resetsAt: string;
}
