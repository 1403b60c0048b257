import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentAccount } from '../../accounts/current-account.decorator';
import { ParseUuidPipe } from '../../common/parse-uuid.pipe';
import { ApiErrors } from '../error-responses.decorator';
import { ErrorLogDto, ErrorLogQuery } from './error-log.dto';
import { ErrorLogService } from './error-log.service';

@ApiTags('batches')
@ApiBearerAuth()
@Controller('api/batch')
export class ErrorLogController {
  constructor(private readonly errorLog: ErrorLogService) {}

  @Get(':id/errors')
  @ApiOperation({
    summary: "The batch's error log: a summary per category, and every failed attempt",
    description:
      'Rate-limit answers are not failures and are not listed, unless a message ended failed with them. Items are newest first; filter them with ?category= and ?code=.',
  })
  @ApiOkResponse({ type: ErrorLogDto })
  @ApiErrors('INVALID_ID', 'BATCH_NOT_FOUND', 'VALIDATION_FAILED')
  errors(
    @CurrentAccount() accountId: string,
    @Param('id', ParseUuidPipe) id: string,
    @Query() query: ErrorLogQuery,
  ): Promise<ErrorLogDto> {
    return this.errorLog.read(accountId, id, query);
  }
}
