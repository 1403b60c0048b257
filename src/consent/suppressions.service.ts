// The suppressions API: an account's list, its manual entries, its CSV imports and their removal.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { normalizePhoneNumber, shownNumber, type PhoneParseResult } from '../phone/phone-number';
import { PhoneNumberParserService } from '../phone/phone-number-parser.service';
import { decodeCursor, toPage, type Page } from '../common/pagination';
import { isUuid } from '../common/uuid-v7';
import { ingestConfig, type IngestConfig } from '../config/configuration';
import {
  DomainError,
  SuppressionNotFound,
  ValidationFailed,
  type ErrorDetail,
} from '../errors/domain-error';
import { dropUnreadBody } from '../http/unread-body';
import { MAX_SUPPRESSIONS_PER_REQUEST } from '../request-body/body-limits';
import { RequestBodyReader } from '../request-body/request-body.reader';
import type { Release } from '../request-body/slots';
import {
  ADD_REASON,
  MAX_PHONE_TEXT,
  normalizedOrThrow,
  validateAddSuppressions,
} from './add-suppressions.validation';
import { checkCsvRequest, csvRecords, type CsvLimits } from './csv-body';
import { CsvPhoneColumn, InvalidLines } from './csv-phone-column';
import type {
  AddSuppressionsResultDto,
  ImportSuppressionsResultDto,
  ListSuppressionsQuery,
  SuppressionDto,
} from './dto/suppression.dto';
import { SuppressionsRepository, type SuppressionRow } from './suppressions.repository';

/** Invalid lines an import answer lists; `invalidTotal` counts them all. */
export const MAX_LISTED_INVALID_LINES = 100;
/** Data lines one import may hold (its bytes are bounded by MAX_BODY_MB as well). */
export const MAX_IMPORT_LINES = 1_000_000;
/** Numbers handed to the phone parser's threads at once while the body still arrives. */
const PARSE_STEP = 10_000;
const MAX_RECORD_CHARS = 64 * 1024;

interface SuppressionCursor {
  id: string;
}

function isSuppressionCursor(value: unknown): value is SuppressionCursor {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof value === 'object' && typeof id === 'string' && isUuid(id);
}

@Injectable()
export class SuppressionsService {
  private readonly csvLimits: CsvLimits;
  constructor(
    private readonly repository: SuppressionsRepository,
    private readonly phones: PhoneNumberParserService,
    // Imports take their turn with the large JSON bodies (MAX_CONCURRENT_LARGE_BODIES in all).
    private readonly bodies: RequestBodyReader,
    @Inject(ingestConfig.KEY) private readonly ingest: IngestConfig,
  ) {
    this.csvLimits = {
      bytes: ingest.maxBodyMb * 1024 * 1024,
      describe: `${ingest.maxBodyMb} MB (MAX_BODY_MB)`,
      idleTimeoutMs: ingest.bodyIdleTimeoutMs,
      minBytesPerMs: (ingest.largeBodyMinKbps * 1024) / 1000,
      maxRecordChars: MAX_RECORD_CHARS,
    };
  }

  async list(accountId: string, query: ListSuppressionsQuery): Promise<Page<SuppressionDto>> {
    const phoneNumber =
      query.phoneNumber === undefined ? undefined : this.normalized(query.phoneNumber);
    const before = query.cursor ? decodeCursor(query.cursor, isSuppressionCursor).id : undefined;
    const rows = await this.repository.list(accountId, {
      phoneNumber,
      reason: query.reason,
      before,
      limit: query.limit + 1,
    });
    return toPage(rows, query.limit, toSuppressionDto, (last) => ({ id: last.id }));
  }

  async add(accountId: string, body: unknown): Promise<AddSuppressionsResultDto> {
    const raws = validateAddSuppressions(body, MAX_SUPPRESSIONS_PER_REQUEST);
    const numbers = normalizedOrThrow(raws, await this.phones.parse(raws));
    const distinct = [...new Set(numbers)];
    const added = await this.repository.addOwn(accountId, distinct, ADD_REASON);
    // A number given twice is there already the second time.
    return { added, alreadyPresent: numbers.length - added };
  }

  /** The account's own entry only: deployment-wide entries go with an opt-in reply (START). */
  async remove(accountId: string, phoneNumber: string): Promise<void> {
    // Not a number: no entry can exist for it, and the answer is the one an unknown number gets,
    // as for a well-formed id that names nothing.
    const parsed = phoneNumber.length > MAX_PHONE_TEXT ? undefined : this.parseOne(phoneNumber);
    const e164 = parsed && !('problem' in parsed) ? parsed.e164 : undefined;
    if (e164 === undefined || !(await this.repository.deleteOwn(accountId, e164))) {
      throw new SuppressionNotFound(phoneNumber);
    }
  }

  async import(
    accountId: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<ImportSuppressionsResultDto> {
    checkCsvRequest(req, res, this.csvLimits);
    let release: Release;
    try {
      release = await this.bodies.largeBodySlot(res);
    } catch (error) {
      dropUnreadBody(req, res);
      throw error;
    }
    try {
      const { numbers, invalid } = await this.readImport(req, res);
      const distinct = [...new Set(numbers)];
      const imported = await this.repository.addOwn(accountId, distinct, 'import');
      return {
        imported,
        alreadyPresent: numbers.length - imported,
        invalid: invalid.list(),
        invalidTotal: invalid.total,
      };
    } finally {
      release();
    }
  }

  /**
   * The valid numbers of a CSV body in E.164, and its invalid lines. Numbers go to the parser's
   * threads in steps while the rest of the body arrives.
   */
  private async readImport(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ numbers: string[]; invalid: InvalidLines }> {
    const column = new CsvPhoneColumn();
    const csvInvalid = new InvalidLines(MAX_LISTED_INVALID_LINES);
    const steps: { raws: string[]; lines: number[]; parsing: Promise<PhoneParseResult[]> }[] = [];
    let raws: string[] = [];
    let lines: number[] = [];
    const flush = () => {
      if (!raws.length) return;
      const parsing = this.phones.parse(raws);
      // Awaited below, in order; a failure must not go unhandled meanwhile.
      parsing.catch(() => undefined);
      steps.push({ raws, lines, parsing });
      raws = [];
      lines = [];
    };
    let dataLines = 0;
    for await (const { record, line } of csvRecords(req, res, this.csvLimits)) {
      const row = column.read(record, line);
      if (row === null) continue;
      if (++dataLines > MAX_IMPORT_LINES) {
        throw new DomainError(
          'PAYLOAD_TOO_LARGE',
          `The CSV body has more than ${MAX_IMPORT_LINES} data lines; split it into several imports.`,
        );
      }
      if ('message' in row) {
        csvInvalid.add(row.line, row.message);
        continue;
      }
      raws.push(row.value);
      lines.push(row.line);
      if (raws.length >= PARSE_STEP) flush();
    }
    if (!column.hasHeader) {
      throw new ValidationFailed('The CSV body has no header row.', [
        { path: 'phoneNumber', message: 'is not a column: the body has no header row' },
      ]);
    }
    flush();
    const numbers: string[] = [];
    const invalid = new InvalidLines(MAX_LISTED_INVALID_LINES);
    for (const step of steps) {
      const parsed = await step.parsing;
      parsed.forEach((result, i) => {
        if ('problem' in result) {
          invalid.add(step.lines[i], `"${shownNumber(step.raws[i])}" ${result.problem}`);
        } else numbers.push(result.e164);
      });
    }
    invalid.absorb(csvInvalid);
    return { numbers, invalid };
  }

  /** A number given in a query, in E.164; a 400 naming the field when it is not one. */
  private normalized(raw: string): string {
    const parsed = this.parseOne(raw);
    if (!('problem' in parsed)) return parsed.e164;
    const detail: ErrorDetail = {
      path: 'phoneNumber',
      message: `"${shownNumber(raw)}" ${parsed.problem}`,
    };
    throw ValidationFailed.of([detail]);
  }

  private parseOne(raw: string): PhoneParseResult {
    return normalizePhoneNumber(raw, this.ingest.defaultCountry);
  }
}

function toSuppressionDto(row: SuppressionRow): SuppressionDto {
  return {
    phoneNumber: row.phone_number,
    scope: row.scope,
    reason: row.reason,
    source: row.source,
    createdAt: row.created_at.toISOString(),
  };
}
