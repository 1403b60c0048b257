import { ApiProperty } from '@nestjs/swagger';
import {
  INBOUND_ACTIONS,
  REPLY_STATUSES,
  type InboundAction,
  type ReplyStatus,
} from '../../inbound/inbound-message.entity';

export class InboundReplyDto {
  @ApiProperty({ enum: REPLY_STATUSES, example: 'sent' })
  status: ReplyStatus;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'SM0123456789abcdef0123456789abcdef',
    description: "The provider's id of the reply, once it accepted it.",
  })
  providerMessageId: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description: "Why the reply could not be sent (the provider's code and message).",
  })
  error: string | null;
}

export class InboundMessageDto {
  @ApiProperty({ format: 'uuid', example: '3f1c2a9e-7b4d-4e0a-9c61-2d8f5b7a1e34' })
  id: string;

  @ApiProperty({ example: 'twilio', description: 'The provider that forwarded it.' })
  provider: string;

  @ApiProperty({ example: '+12025550142', description: 'Who wrote (E.164).' })
  from: string;

  @ApiProperty({ example: '+15005550006', description: 'The sender it wrote to.' })
  to: string;

  @ApiProperty({ example: 'STOP' })
  body: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-30T12:00:00.000Z' })
  receivedAt: string;

  @ApiProperty({
    enum: INBOUND_ACTIONS,
    example: 'opt_out',
    description:
      'What Salvo did with it: `opt_out` (an opt-out keyword suppressed the number deployment-wide), `opt_in` (an opt-in keyword lifted its STOP and provider opt-outs), `help` (answered with HELP_REPLY_TEXT), `none`.',
  })
  action: InboundAction;

  @ApiProperty({
    type: InboundReplyDto,
    nullable: true,
    description: 'The answer to a help keyword; null when none was sent.',
  })
  reply: InboundReplyDto | null;
}

export class InboundMessagePageDto {
  @ApiProperty({ type: [InboundMessageDto] })
  items: InboundMessageDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as ?cursor= for the next page; null on the last.',
  })
  nextCursor: string | null;
}
