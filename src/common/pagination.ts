// Lists everywhere: `?limit=` (default 50, max 500) and an opaque `?cursor=`.
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, type TransformFnParams } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ValidationFailed } from '../errors/domain-error';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * Integers in query strings are decimal digits only. Number() (what @Type(() => Number) uses) also
 * reads "1e2", "0x10", " 5" and "5.0"; anything but digits stays a string and fails @IsInt.
 */
export const toDecimalInteger = ({ value }: TransformFnParams): unknown =>
  typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;

export class PageQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
    description: 'Decimal digits only.',
  })
  @IsOptional()
  @Transform(toDecimalInteger)
  @IsInt({ message: `must be a whole number written in decimal digits, 1 to ${MAX_PAGE_SIZE}` })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit: number = DEFAULT_PAGE_SIZE;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

/**
 * A date a cursor may carry: as toISOString writes it, in years 1970 to 9999. JS dates reach
 * years -271821 and +275760 and PostgreSQL's timestamptz 4713 BC to 294276 AD, but neither agrees
 * with the other at those ends (year 0000 and the six-digit years are a PostgreSQL error, a 500);
 * no row of Salvo was written before 1970 or will be after 9999.
 */
const CURSOR_DATE = /^(?:19[7-9]\d|[2-9]\d{3})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function isCursorDate(value: unknown): value is string {
  if (typeof value !== 'string' || !CURSOR_DATE.test(value)) return false;
  // Round-tripping refuses dates that do not exist, such as February 30th.
  const date = new Date(value);
  return !Number.isNaN(date.getTime()) && date.toISOString() === value;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes a cursor made by `encodeCursor`, checking its shape; a tampered one is a 400. */
export function decodeCursor<T>(cursor: string, isValid: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isValid(value)) return value;
  } catch {
    // fall through to the 400 below
  }
  throw new ValidationFailed('The cursor is not one this API produced.', [
    { path: 'cursor', message: 'is not a valid cursor; pass the nextCursor of the previous page' },
  ]);
}

/**
 * A page from rows fetched with `LIMIT limit + 1`: the extra row, if any, only says that another
 * page follows, whose cursor is made from the page's last row.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  cursorOf: (last: Row) => unknown,
): Page<Item> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toItem),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null,
  };
}
