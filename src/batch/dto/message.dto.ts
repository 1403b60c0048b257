import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { SMS_PROVIDERS, type SmsProviderName } from '../../config/configuration';
import {
  DELIVERY_STATUSES,
  MESSAGE_STATUSES,
  type DeliveryStatus,
  type MessageStatus,
} from '../entities/message.entity';

export class MessageErrorDto {
  @ApiProperty({ example: 'invalid_number' })
  category: string;

  @ApiProperty({ example: 'SIM_INVALID_NUMBER' })
  code: string;

  @ApiProperty({ example: 'The number cannot receive SMS.' })
  message: string;
}

export class ResolutionDto {
  @ApiProperty({
    example: 'lookup',
    description: 'How the adapter settled it (a lookup, a replay).',
  })
  method: string;

  @ApiProperty({ example: 'adopted', description: 'What it found.' })
  outcome: string;

  @ApiProperty({ example: 'One message to this number with this body since the claim.' })
  detail: string;

  @ApiProperty({ format: 'date-time' })
  at: string;
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

  @ApiProperty({
    enum: SMS_PROVIDERS,
    nullable: true,
    example: 'simulated',
    description:
      "The provider of the message's last call: simulated, twilio or smpp; null before any call.",
  })
  provider: SmsProviderName | null;

  @ApiProperty({ type: String, nullable: true })
  providerMessageId: string | null;

  @ApiProperty({ type: MessageErrorDto, nullable: true })
  lastError: MessageErrorDto | null;

  @ApiProperty({
    enum: DELIVERY_STATUSES,
    nullable: true,
    example: 'delivered',
    description:
      "From the provider's delivery receipts: null until accepted, then `awaiting`, `delivered`, `undelivered`, or `unknown` when no final receipt came within DELIVERY_RECEIPT_TIMEOUT_HOURS (a later one still applies). Never moves back.",
  })
  deliveryStatus: DeliveryStatus | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the receipt saying delivered came.',
  })
  deliveredAt: string | null;

  @ApiProperty({
    type: MessageErrorDto,
    nullable: true,
    description: 'Why it was not delivered, from the undelivered receipt.',
  })
  deliveryError: MessageErrorDto | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'delivered',
    description:
      "The provider's own word for the highest-ranked status its receipts gave (e.g. Twilio's `sent`, `delivered`).",
  })
  providerStatus: string | null;

  @ApiProperty({
    type: ResolutionDto,
    nullable: true,
    description:
      'How a call whose outcome was unknown (a timeout, a lost connection) was settled, when one was.',
  })
  resolution: ResolutionDto | null;
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
