import { ValidationFailed } from '../errors/domain-error';
import { lineBreaks } from './csv-body';
import { CsvPhoneColumn, InvalidLines } from './csv-phone-column';

describe('CsvPhoneColumn', () => {
  it('finds the column in the header row, in any letter case, and reads it from each record', () => {
    const column = new CsvPhoneColumn();
    expect(column.read(['', ''], 1)).toBeNull();
    expect(column.read(['name', ' PhoneNumber '], 2)).toBeNull();
    expect(column.hasHeader).toBe(true);
    expect(column.read(['Ann', ' +12025550142 '], 3)).toEqual({ line: 3, value: '+12025550142' });
    expect(column.read(['Bo'], 4)).toEqual({ line: 4, message: 'has no phoneNumber field' });
    expect(column.read(['Cy', ' '], 5)).toEqual({ line: 5, message: 'phoneNumber is empty' });
    expect(column.read(['', ''], 6)).toBeNull();
    expect(column.read(['Di', '9'.repeat(65)], 7)).toEqual({
      line: 7,
      message: expect.stringContaining('is longer than 64 characters'),
    });
  });

  it('refuses a header row without the column, naming it', () => {
    const column = new CsvPhoneColumn();
    expect(() => column.read(['name', 'phone'], 1)).toThrow(ValidationFailed);
    expect(() => column.read(['name', 'phone'], 1)).toThrow(
      expect.objectContaining({
        details: [{ path: 'phoneNumber', message: 'is not a column of the header row (line 1)' }],
      }),
    );
  });
});

describe('lineBreaks', () => {
  it.each([
    [['a', 'b'], 0],
    [['two\r\nlines'], 1],
    [['a\nb\nc', 'd\re'], 3],
    [['\r\n\r\n'], 2],
  ])('counts the line breaks of %j as %i', (record, count) => {
    expect(lineBreaks(record)).toBe(count);
  });
});

describe('InvalidLines', () => {
  it('keeps the first lines in line order, from sources that each report in order, and counts all', () => {
    const early = new InvalidLines(3);
    const late = new InvalidLines(3);
    for (const line of [2, 5, 9, 11, 12]) early.add(line, `e${line}`);
    for (const line of [3, 4, 20]) late.add(line, `l${line}`);
    late.absorb(early);
    expect(late.list().map((l) => l.line)).toEqual([2, 3, 4]);
    expect(late.total).toBe(8);
  });

  it('stays bounded however many lines fail', () => {
    const invalid = new InvalidLines(100);
    for (let line = 2; line < 100_002; line++) invalid.add(line, 'bad');
    expect(invalid.list()).toHaveLength(100);
    expect(invalid.list()[99].line).toBe(101);
    expect(invalid.total).toBe(100_000);
  });
});
