import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentAccount } from '../accounts/current-account.decorator';
import { PageQuery } from '../common/pagination';
import { ApiErrors } from '../errors/error-responses.decorator';
import { InboundMessagePageDto } from './dto/inbound-message.dto';
import { InboundMessagesService } from './inbound-messages.service';

@ApiTags('consent')
@ApiBearerAuth()
@Controller('api/inbound')
export class InboundMessagesController {
  constructor(private readonly inbound: InboundMessagesService) {}

  @Get()
  @ApiOperation({
    summary: 'SMS received from numbers this account sent to, newest first',
    description:
      'An inbound message belongs to the account that last sent to its number from the sender it wrote to; no other account sees it. `action` says what Salvo did with it (opt-out, opt-in, help).',
  })
  @ApiOkResponse({ type: InboundMessagePageDto })
  @ApiErrors('VALIDATION_FAILED')
  list(
    @CurrentAccount() accountId: string,
    @Query() query: PageQuery,
  ): Promise<InboundMessagePageDto> {
    return this.inbound.list(accountId, query);
  }
}
