// POST /api/template/preview's bodies, for Swagger. The request is validated by hand
// (template-preview.ts), as a batch is, so that variables named like Object.prototype's members
// (constructor, toString, valueOf) reach the preview as they reach a batch.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_MESSAGE_LENGTH } from '../template';
import { MAX_VARIABLE_NAME_LENGTH, MAX_VARIABLE_VALUE_LENGTH, MAX_VARIABLES } from '../variables';

export class TemplatePreviewRequestDto {
  @ApiProperty({
    example: 'Hi {{name}}, your code is {{code}}',
    description: `1 to ${MAX_MESSAGE_LENGTH} characters (UTF-16 units).`,
    minLength: 1,
    maxLength: MAX_MESSAGE_LENGTH,
  })
  text: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: MAX_VARIABLE_VALUE_LENGTH },
    maxProperties: MAX_VARIABLES,
    example: { name: 'Ada' },
    description:
      'Values to fill in; variables without one stay as written. As in a batch: at most ' +
      `${MAX_VARIABLES} variables, names of at most ${MAX_VARIABLE_NAME_LENGTH} characters, string ` +
      `values of at most ${MAX_VARIABLE_VALUE_LENGTH} characters, and a rendered message of at ` +
      `most ${MAX_MESSAGE_LENGTH} (more is a 400).`,
  })
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
