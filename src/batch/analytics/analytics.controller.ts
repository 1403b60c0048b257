import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentAccount } from '../../accounts/current-account.decorator';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe';
import { ApiErrors } from '../../errors/error-responses.decorator';
import { BatchAnalyticsDto } from './analytics.dto';
import { AnalyticsService } from './analytics.service';

@ApiTags('batches')
@ApiBearerAuth()
@Controller('api/batch')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get(':id/analytics')
  @ApiOperation({
    summary:
      "How the batch is sending and delivering: its rates, its share of the provider's ceiling, timeline, receipts",
    description:
      "Rates configured, allotted and achieved; a timeline of sends, final failures, rate-limit answers and final receipts; the wait for permits, the provider latency and its rate-limit signals; the delivery latency and the receipts per status and category; per provider, its sends, failures, receipts, latency and circuit breaker, and the breakers' last transitions. Kept as results and receipts are written: cheap on any batch.",
  })
  @ApiOkResponse({ type: BatchAnalyticsDto })
  @ApiErrors('INVALID_ID', 'BATCH_NOT_FOUND')
  read(
    @CurrentAccount() accountId: string,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<BatchAnalyticsDto> {
    return this.analytics.read(accountId, id);
  }
}
