import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { MESSAGE_STATUSES, type MessageStatus } from '../entities/message.entity';

export class MessageErrorDto {
  @ApiProperty({ example: 'invalid_number' })
  category: string;

  @ApiProperty({ example: 'SIM_INVALID_NUMBER' })
  code: string;

  @ApiProperty({ example: 'The number cannot receive SMS.' })
  message: string;
}

export class MessageDto {
  @ApiProperty({ format: 'uuid', description: 'Also the idempotency key sent to the provider.' })
  id: string;

  @ApiProperty({ example: '+12025550123', description: 'E.164.' })
  phoneNumber: string;

  @ApiProperty({ enum: MESSAGE_STATUSES, example: 'pending' })
  status: MessageStatus;

  @ApiProperty({
    example: 0,
    description: 'Provider calls answered or timed out (rate-limit answers not counted).',
  })
  attempts: number;

  @ApiProperty({ example: 1 })
  segments: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the limiter handed the accepted attempt to the provider (Redis clock, ms).',
  })
  sentAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  providerMessageId: string | null;

  @ApiProperty({ type: MessageErrorDto, nullable: true })
  lastError: MessageErrorDto | null;
}

export class MessagePageDto {
  @ApiProperty({ type: [MessageDto], description: 'In recipient order.' })
  items: MessageDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

export class MessageQuery extends PageQuery {
  @ApiPropertyOptional({ enum: MESSAGE_STATUSES })
  @IsOptional()
  @IsIn(MESSAGE_STATUSES)
  status?: MessageStatus;
}
