// The phoneNumber column of an imported CSV file, record by record: the header row says where the
// column is; every other record gives its number, or why its line cannot be imported.
import { ValidationFailed } from '../errors/domain-error';
import { shownNumber } from '../phone/phone-number';
import { MAX_PHONE_TEXT } from './add-suppressions.validation';

export const PHONE_COLUMN = 'phoneNumber';

/** What a data record holds: a number to parse, a problem of its line, or nothing (a blank line). */
export type CsvRow = { line: number; value: string } | { line: number; message: string } | null;

export class CsvPhoneColumn {
  private column: number | undefined;

  get hasHeader(): boolean {
    return this.column !== undefined;
  }

  /** Reads one record that starts on `line` (1 = the file's first line). */
  read(record: readonly string[], line: number): CsvRow {
    if (isBlank(record)) return null;
    if (this.column === undefined) {
      const column = record.findIndex(
        (name) => name.trim().toLowerCase() === PHONE_COLUMN.toLowerCase(),
      );
      if (column < 0) {
        throw new ValidationFailed(
          `The CSV header row (line ${line}) has no ${PHONE_COLUMN} column.`,
          [{ path: PHONE_COLUMN, message: `is not a column of the header row (line ${line})` }],
        );
      }
      this.column = column;
      return null;
    }
    const value = record[this.column]?.trim();
    if (value === undefined) return { line, message: `has no ${PHONE_COLUMN} field` };
    if (value === '') return { line, message: `${PHONE_COLUMN} is empty` };
    if (value.length > MAX_PHONE_TEXT) {
      return {
        line,
        message: `"${shownNumber(value)}" is longer than ${MAX_PHONE_TEXT} characters`,
      };
    }
    return { line, value };
  }
}

/** A line with nothing on it, or only separators and spaces. */
function isBlank(record: readonly string[]): boolean {
  return record.every((field) => field.trim() === '');
}

/**
 * The first `max` invalid lines, in line order, from several sources that each report in line
 * order (the CSV reader while the body arrives, the phone parser afterwards), and how many in all.
 */
export class InvalidLines {
  private readonly kept: { line: number; message: string }[] = [];
  total = 0;

  constructor(private readonly max: number) {}

  add(line: number, message: string): void {
    this.total++;
    this.kept.push({ line, message });
    // Keeps the list short however many lines fail: the largest lines are dropped first.
    if (this.kept.length > 2 * this.max) this.trim();
  }

  /** Takes in another's lines and count. */
  absorb(other: InvalidLines): void {
    this.kept.push(...other.list());
    this.total += other.total;
    this.trim();
  }

  list(): { line: number; message: string }[] {
    this.trim();
    return this.kept;
  }

  private trim(): void {
    this.kept.sort((a, b) => a.line - b.line);
    this.kept.length = Math.min(this.kept.length, this.max);
  }
}
