import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentAccount } from '../accounts/current-account.decorator';
import { ApiErrors } from '../errors/error-responses.decorator';
import { JsonBody, MAX_SUPPRESSIONS_PER_REQUEST, ReadsOwnBody } from '../request-body/body-limits';
import {
  AddSuppressionsDto,
  AddSuppressionsResultDto,
  ImportSuppressionsResultDto,
  ListSuppressionsQuery,
  SuppressionPageDto,
} from './dto/suppression.dto';
import {
  MAX_IMPORT_LINES,
  MAX_LISTED_INVALID_LINES,
  SuppressionsService,
} from './suppressions.service';

@ApiTags('consent')
@ApiBearerAuth()
@Controller('api/suppressions')
export class SuppressionsController {
  constructor(private readonly suppressions: SuppressionsService) {}

  @Get()
  @ApiOperation({
    summary: 'Numbers no message of this account goes to, newest first',
    description:
      "The account's own entries (`manual`, `import`) and the deployment-wide entries (`stop_reply`, `provider_opt_out`) of numbers it has sent to. A batch drops suppressed recipients when it is created, and a message to a number suppressed later fails with SUPPRESSED.",
  })
  @ApiOkResponse({ type: SuppressionPageDto })
  @ApiErrors('VALIDATION_FAILED')
  list(
    @CurrentAccount() accountId: string,
    @Query() query: ListSuppressionsQuery,
  ): Promise<SuppressionPageDto> {
    return this.suppressions.list(accountId, query);
  }

  @Post()
  @JsonBody('suppressions')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Suppress numbers for this account (reason manual)',
    description: `Up to ${MAX_SUPPRESSIONS_PER_REQUEST} numbers; more is a 413 (use the import). Every number is validated and stored in E.164; any invalid number rejects the whole request and nothing is stored.`,
  })
  @ApiBody({ type: AddSuppressionsDto })
  @ApiOkResponse({ type: AddSuppressionsResultDto })
  @ApiErrors('VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE', 'SERVICE_UNAVAILABLE')
  add(
    @CurrentAccount() accountId: string,
    @Body() body: unknown,
  ): Promise<AddSuppressionsResultDto> {
    return this.suppressions.add(accountId, body);
  }

  @Post('import')
  @ReadsOwnBody()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Suppress the numbers of a CSV file for this account (reason import)',
    description: `A text/csv body (UTF-8, uncompressed, at most MAX_BODY_MB and ${MAX_IMPORT_LINES} data lines) whose header row names a \`phoneNumber\` column (any letter case; other columns are ignored; quoted fields as RFC 4180). Read as it arrives. Lines whose number is invalid are reported (the first ${MAX_LISTED_INVALID_LINES}, with their line number, the header being line 1) and the others imported; a file that is not readable CSV, or has no phoneNumber column, is a 400 and imports nothing.`,
  })
  @ApiConsumes('text/csv')
  @ApiBody({
    schema: {
      type: 'string',
      example: 'phoneNumber,name\n+12025550142,Ann\n"+1 (202) 555-0143","Bo, Jr."\n',
    },
  })
  @ApiOkResponse({ type: ImportSuppressionsResultDto })
  @ApiErrors(
    'VALIDATION_FAILED',
    'REQUEST_TIMEOUT',
    'PAYLOAD_TOO_LARGE',
    'UNSUPPORTED_MEDIA_TYPE',
    'SERVICE_UNAVAILABLE',
  )
  import(
    @CurrentAccount() accountId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImportSuppressionsResultDto> {
    return this.suppressions.import(accountId, req, res);
  }

  @Delete(':phoneNumber')
  @HttpCode(204)
  @ApiOperation({
    summary: "Lift this account's own entry for a number",
    description:
      'Only `manual` and `import` entries of this account; a deployment-wide entry is lifted by an opt-in reply (START) from the number. A text that is not a phone number names no entry: 404.',
  })
  @ApiParam({
    name: 'phoneNumber',
    description:
      'E.164 (URL-encode the `+` as %2B, or send it as is), or any form POST /api/batch accepts.',
    example: '+12025550142',
  })
  @ApiNoContentResponse({ description: 'Lifted.' })
  @ApiErrors('SUPPRESSION_NOT_FOUND', 'PAYLOAD_TOO_LARGE')
  remove(
    @CurrentAccount() accountId: string,
    @Param('phoneNumber') phoneNumber: string,
  ): Promise<void> {
    return this.suppressions.remove(accountId, phoneNumber);
  }
}
