import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/pagination';
import { MAX_SUPPRESSIONS_PER_REQUEST } from '../../request-body/body-limits';
import { ADD_REASON, MAX_PHONE_TEXT } from '../add-suppressions.validation';
import {
  SUPPRESSION_REASONS,
  SUPPRESSION_SCOPES,
  type SuppressionReason,
  type SuppressionScope,
} from '../suppression.entity';

/** A number of the documentation's examples that no test sends a batch to. */
const EXAMPLE_NUMBER = '+12025550142';

export class SuppressionDto {
  @ApiProperty({ example: EXAMPLE_NUMBER, description: 'E.164.' })
  phoneNumber: string;

  @ApiProperty({
    enum: SUPPRESSION_SCOPES,
    example: 'account',
    description:
      "`account`: this account's own entry (manual, import). `deployment`: the number opted out of every account's messages (a STOP reply, a provider's opt-out); listed when the number is one of this account's contacts.",
  })
  scope: SuppressionScope;

  @ApiProperty({ enum: SUPPRESSION_REASONS, example: 'manual' })
  reason: SuppressionReason;

  @ApiProperty({
    type: String,
    nullable: true,
    example: null,
    description:
      "`provider_opt_out`: the provider's code (e.g. `21610`, `SIM_OPTED_OUT`). `stop_reply`: the id of the inbound message (GET /api/inbound) when it is this account's, else null. Null for `manual` and `import`.",
  })
  source: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-11-30T12:00:00.000Z' })
  createdAt: string;
}

export class SuppressionPageDto {
  @ApiProperty({ type: [SuppressionDto] })
  items: SuppressionDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as ?cursor= for the next page; null on the last.',
  })
  nextCursor: string | null;
}

export class ListSuppressionsQuery extends PageQuery {
  @ApiPropertyOptional({
    example: EXAMPLE_NUMBER,
    maxLength: MAX_PHONE_TEXT,
    description:
      'Only entries for this number: E.164, or any form POST /api/batch accepts (normalised the same way).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PHONE_TEXT)
  phoneNumber?: string;

  @ApiPropertyOptional({ enum: SUPPRESSION_REASONS })
  @IsOptional()
  @IsIn(SUPPRESSION_REASONS)
  reason?: SuppressionReason;
}

/** POST /api/suppressions, for Swagger: the body is checked by add-suppressions.validation.ts. */
export class AddSuppressionsDto {
  @ApiProperty({
    type: [String],
    example: [EXAMPLE_NUMBER],
    minItems: 1,
    maxItems: MAX_SUPPRESSIONS_PER_REQUEST,
    description: `1 to ${MAX_SUPPRESSIONS_PER_REQUEST} numbers, each in any form POST /api/batch accepts (E.164, or national with DEFAULT_COUNTRY); stored in E.164. Any invalid number rejects the request (details name each by index) and nothing is stored.`,
  })
  phoneNumbers: string[];

  @ApiPropertyOptional({ enum: [ADD_REASON], default: ADD_REASON })
  reason?: typeof ADD_REASON;
}

export class AddSuppressionsResultDto {
  @ApiProperty({ example: 1, description: 'Numbers that were not suppressed for this account.' })
  added: number;

  @ApiProperty({
    example: 0,
    description:
      'Numbers this account had an entry for already (also a number given twice, its second time). added + alreadyPresent = the numbers sent.',
  })
  alreadyPresent: number;
}

export class InvalidLineDto {
  @ApiProperty({ example: 3, description: "The line's number in the file; the header row is 1." })
  line: number;

  @ApiProperty({ example: '"+1 555" is not a valid phone number' })
  message: string;
}

export class ImportSuppressionsResultDto {
  @ApiProperty({ example: 99_998, description: "Numbers added as this account's entries." })
  imported: number;

  @ApiProperty({
    example: 1,
    description:
      'Valid lines whose number this account had an entry for already, or that an earlier line of the file gave.',
  })
  alreadyPresent: number;

  @ApiProperty({
    type: [InvalidLineDto],
    description: 'The first 100 lines that could not be imported, in file order.',
  })
  invalid: InvalidLineDto[];

  @ApiProperty({
    example: 1,
    description:
      'Lines that could not be imported, all of them. imported + alreadyPresent + invalidTotal = the data lines (blank lines are skipped).',
  })
  invalidTotal: number;
}
