import { ApiProperty } from '@nestjs/swagger';
import type { ApiKeyEntity } from '../api-key.entity';

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid', example: '0192f5e2-7c1a-7d3e-9b1a-3f5c2e8d4a10' })
  id: string;

  @ApiProperty({ example: 'ci' })
  name: string;

  @ApiProperty({
    example: 'salvo_3q2Zx9',
    description:
      "The key's first 12 characters, to recognise it; not enough to use it. A key not of Salvo's own form (`salvo_` and 43 characters: a BOOTSTRAP_API_KEY) shows `sha256:` and the first 8 hex digits of its SHA-256 instead.",
  })
  prefix: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description:
      'When the key last authenticated a request or a Socket.IO handshake, to within about a minute (recorded at most once a minute per key and API process); null if never.',
  })
  lastUsedAt: string | null;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto], description: "The account's active keys, oldest first." })
  items: ApiKeyDto[];
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({
    example: 'salvo_3q2Zx9…',
    description:
      'The key itself, shown only in this answer: Salvo keeps only its hash. Send it as "Authorization: Bearer <key>".',
  })
  key: string;
}

export function toApiKeyDto(key: ApiKeyEntity): ApiKeyDto {
  return {
    id: key.id,
    name: key.name,
    prefix: key.displayPrefix,
    createdAt: key.createdAt.toISOString(),
    lastUsedAt: key.lastUsedAt ? key.lastUsedAt.toISOString() : null,
  };
}
