// The request body of POST /api/batch, for Swagger. Validation is hand-written
// (create-batch.validation.ts) because it runs over up to 100,000 recipients.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_MESSAGE_LENGTH } from '../../template/template';
import {
  MAX_VARIABLE_NAME_LENGTH,
  MAX_VARIABLE_VALUE_LENGTH,
  MAX_VARIABLES,
} from '../../template/variables';
import { PRIORITIES, type Priority } from '../../rate-limit/tier-rates';
import { RECIPIENT_TIME_ZONE, WEEKDAYS, type Weekday } from '../../config/send-window';

export class RecipientDto {
  @ApiProperty({
    description:
      'Phone number, preferably E.164 (`+12025550123`). Numbers without `+` use DEFAULT_COUNTRY. Stored in E.164; a number given twice is kept once. ' +
      'A number in a country the account does not send to (ALLOWED_COUNTRIES, narrowed per account), of no country (+800, +808, +870, +881, +882, +883, +888, +979, unless 001 is allowed) ' +
      'or of a blocked type (BLOCKED_NUMBER_TYPES; by default premium rate, shared cost, UAN, voicemail and pager) is refused: a 400 whose detail has code DESTINATION_NOT_ALLOWED.',
    example: '+12025550123',
  })
  phoneNumber: string;

  @ApiPropertyOptional({
    description:
      'Values for the template variables, all strings. Every variable the template uses must be given and not empty; others are not stored and come back as warnings. ' +
      `At most ${MAX_VARIABLES} variables, names of at most ${MAX_VARIABLE_NAME_LENGTH} characters, values of at most ${MAX_VARIABLE_VALUE_LENGTH} characters; the rendered message at most ${MAX_MESSAGE_LENGTH}.`,
    type: 'object',
    additionalProperties: { type: 'string', maxLength: MAX_VARIABLE_VALUE_LENGTH },
    maxProperties: MAX_VARIABLES,
    example: { name: 'Ada', code: '4821' },
  })
  variables?: Record<string, string>;
}

export class SendWindowDto {
  @ApiProperty({
    example: '09:00',
    pattern: '^\\d{2}:\\d{2}$',
    description: 'Opening time, HH:MM (00:00 to 23:59), local.',
  })
  start: string;

  @ApiProperty({
    example: '20:00',
    pattern: '^\\d{2}:\\d{2}$',
    description:
      'Closing time, HH:MM (00:00 to 24:00), local, not included; not equal to start. Before start, the window runs over midnight and belongs to the day it opens.',
  })
  end: string;

  @ApiPropertyOptional({
    default: RECIPIENT_TIME_ZONE,
    example: RECIPIENT_TIME_ZONE,
    description:
      "`recipient`: each number's own zone, from its country and, where a country spans zones, its area code; where a number may be in several zones, the window is the intersection of its window in each (when that is empty, the zone whose window opens latest, with a SEND_WINDOW_ZONES_DISJOINT warning); numbers of no country (+800 ...) use UTC. Or an IANA zone (`Europe/Paris`) for every message.",
  })
  timeZone?: string;

  @ApiPropertyOptional({
    type: [String],
    enum: WEEKDAYS,
    example: ['mon', 'tue', 'wed', 'thu', 'fri'],
    description: 'The days it opens on; every day when absent.',
  })
  days?: Weekday[];
}

export class BatchOptionsDto {
  @ApiPropertyOptional({
    description:
      'When to start sending: ISO 8601 with an offset, in the future (30 s of clock skew tolerated).',
    example: '2030-01-31T09:00:00Z',
    format: 'date-time',
  })
  scheduleTime?: string;

  @ApiPropertyOptional({
    enum: PRIORITIES,
    default: 'normal',
    description: 'Sending rate tier: high 8, normal 5, low 2 messages per second.',
  })
  priority?: Priority;

  @ApiPropertyOptional({
    default: true,
    description:
      'Start on creation (or at scheduleTime). With false the batch waits for POST /api/batch/{id}/start.',
  })
  autoStart?: boolean;

  @ApiPropertyOptional({
    type: SendWindowDto,
    nullable: true,
    description:
      "When messages may be sent, in the recipient's local time (or a named zone's). A message outside its window waits, pending, and goes when it opens, at the batch's rate; its MESSAGE_VALIDITY_SECONDS count from that opening. Absent: DEFAULT_SEND_WINDOW, when set; null: no window.",
  })
  sendWindow?: SendWindowDto | null;
}

export class CreateBatchDto {
  @ApiProperty({
    description:
      'Message template, 1 to 1600 characters (UTF-16 units). Variables are written `{{name}}` (spaces inside the braces allowed; names of letters, digits and underscore).',
    example: 'Hi {{name}}, your code is {{code}}',
    minLength: 1,
    maxLength: 1600,
  })
  text: string;

  @ApiProperty({
    type: [RecipientDto],
    minItems: 1,
    description: 'At least one; at most MAX_RECIPIENTS_PER_REQUEST (default 100,000), else 413.',
  })
  recipients: RecipientDto[];

  @ApiPropertyOptional({ type: BatchOptionsDto })
  options?: BatchOptionsDto;
}
