import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentAccount } from '../accounts/current-account.decorator';
import { ApiErrors } from '../errors/error-responses.decorator';
import { UsageDto } from './dto/usage.dto';
import { QuotaService } from './quota.service';

@ApiTags('usage')
@ApiBearerAuth()
@Controller('api/usage')
export class UsageController {
  constructor(private readonly quotas: QuotaService) {}

  @Get()
  @ApiOperation({
    summary: "Today's usage (UTC day) of the account's daily message and segment quotas",
    description:
      'A batch takes its messages and segments when it becomes sendable (start, auto-start, scheduled start, resume of a batch the quota paused, retry-failed for what it requeues); nothing is given back.',
  })
  @ApiOkResponse({ type: UsageDto })
  @ApiErrors()
  usage(@CurrentAccount() accountId: string): Promise<UsageDto> {
    return this.quotas.usage(accountId);
  }
}
