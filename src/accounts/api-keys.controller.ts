import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ParseUuidPipe } from '../common/parse-uuid.pipe';
import { ApiErrors } from '../errors/error-responses.decorator';
import { ApiKeysService, MAX_ACTIVE_KEYS_PER_ACCOUNT } from './api-keys.service';
import { CurrentAccount, CurrentKey } from './current-account.decorator';
import { ApiKeyListDto, CreatedApiKeyDto, toApiKeyDto } from './dto/api-key.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

@ApiTags('keys')
@ApiBearerAuth()
@Controller('api/keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOperation({ summary: "The account's active API keys (never the keys themselves)" })
  @ApiOkResponse({ type: ApiKeyListDto, description: 'Oldest first; revoked keys are not listed.' })
  @ApiErrors()
  async list(@CurrentAccount() accountId: string): Promise<ApiKeyListDto> {
    return { items: (await this.keys.list(accountId)).map(toApiKeyDto) };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create an API key for the account; the key is in this answer only',
    description: `At most ${MAX_ACTIVE_KEYS_PER_ACCOUNT} active keys per account (LIMIT_REACHED past it). A request whose own key is revoked before the key is created is refused (UNAUTHORIZED) and creates nothing.`,
  })
  @ApiBody({ type: CreateApiKeyDto })
  @ApiCreatedResponse({
    type: CreatedApiKeyDto,
    description: 'Created: `key` is shown in this answer only; store it now.',
  })
  @ApiErrors('VALIDATION_FAILED', 'LIMIT_REACHED', 'PAYLOAD_TOO_LARGE')
  async create(
    @CurrentAccount() accountId: string,
    @CurrentKey() callerKeyId: string,
    @Body() body: CreateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    const { key, apiKey } = await this.keys.create(accountId, body.name, callerKeyId);
    return { ...toApiKeyDto(key), key: apiKey };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke an API key of the account',
    description:
      "From the next request on the key authenticates nothing, and its live Socket.IO connections, on every API process, are closed within 2 s (at once through Redis; each API process also re-checks its sockets' keys every 1.5 s). The account's last active key cannot be revoked (LAST_KEY): create another first. A request whose own key is revoked before it revokes is refused (UNAUTHORIZED) and revokes nothing. A revoked key stays revoked.",
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'The key id, as GET /api/keys lists it.' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiErrors('INVALID_ID', 'KEY_NOT_FOUND', 'LAST_KEY', 'PAYLOAD_TOO_LARGE')
  revoke(
    @CurrentAccount() accountId: string,
    @CurrentKey() callerKeyId: string,
    @Param('id', ParseUuidPipe) id: string,
  ): Promise<void> {
    return this.keys.revoke(id, accountId, callerKeyId);
  }
}
