import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString } from 'class-validator';

export class TemplatePreviewRequestDto {
  @ApiProperty({
    example: 'Hi {{name}}, your code is {{code}}',
    description: '1 to 1600 characters (UTF-16 units).',
  })
  @IsString()
  text: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { name: 'Ada' },
    description: 'Values to fill in; variables without one stay as written.',
  })
  @IsOptional()
  @IsObject()
  variables?: Record<string, string>;
}

export class PreviewVariablesDto {
  @ApiProperty({ example: ['name'], description: 'Template variables that were filled in.' })
  used: string[];

  @ApiProperty({
    example: ['code'],
    description: 'Template variables without a value (left as written).',
  })
  missing: string[];
}

export class TemplatePreviewDto {
  @ApiProperty({ example: 'Hi Ada, your code is {{code}}' })
  rendered: string;

  @ApiProperty({ type: PreviewVariablesDto })
  variables: PreviewVariablesDto;

  @ApiProperty({ enum: ['GSM-7', 'UCS-2'], example: 'GSM-7' })
  encoding: 'GSM-7' | 'UCS-2';

  @ApiProperty({
    example: 29,
    description: 'GSM-7 septets (extension characters count 2) or UTF-16 units.',
  })
  characters: number;

  @ApiProperty({
    example: 1,
    description: 'SMS segments: GSM-7 160 in one or 153 each; UCS-2 70 in one or 67 each.',
  })
  segments: number;
}
