import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { DomainError } from '../errors/domain-error';
import { checkCsvRequest, csvRecords, type CsvLimits } from './csv-body';

const LIMITS: CsvLimits = {
  bytes: 1024,
  describe: '1 kB',
  idleTimeoutMs: 5_000,
  minBytesPerMs: 0,
  maxRecordChars: 256,
};

/** A request whose body arrives in the given chunks. */
function requestOf(chunks: string[], headers: Record<string, string> = {}) {
  const stream = new PassThrough();
  const req = Object.assign(stream, {
    headers: { 'content-type': 'text/csv', ...headers },
    complete: false,
    socket: {},
  });
  stream.once('end', () => (req.complete = true));
  setImmediate(() => {
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });
  const res = Object.assign(new EventEmitter(), { headersSent: false });
  return {
    req: req as unknown as IncomingMessage,
    res: res as unknown as ServerResponse,
  };
}

async function records(chunks: string[], limits = LIMITS) {
  const { req, res } = requestOf(chunks);
  const seen: [number, string[]][] = [];
  for await (const { record, line } of csvRecords(req, res, limits)) seen.push([line, record]);
  return seen;
}

async function refusal(chunks: string[], limits = LIMITS): Promise<DomainError> {
  try {
    await records(chunks, limits);
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('read');
}

describe('csvRecords', () => {
  it('reads records across chunks, quoted fields and line breaks inside them, numbering lines as a person does', async () => {
    expect(
      await records(['\ufeffphoneNumber,note\r\n+1,"a, ""b""', '"\r\n"+2","x\r\ny"\r\n\r\n+3']),
    ).toEqual([
      [1, ['phoneNumber', 'note']],
      [2, ['+1', 'a, "b"']],
      [3, ['+2', 'x\r\ny']],
      [5, ['']],
      [6, ['+3']],
    ]);
  });

  it('refuses CSV it cannot read, naming the line', async () => {
    const error = await refusal(['phoneNumber\n+1\n"+2"x\n']);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([{ path: '', message: expect.stringMatching(/^line 3: /) }]);
  });

  it('refuses a body over its limit as it arrives', async () => {
    const error = await refusal(['phoneNumber\n', `${'+12025550142\n'.repeat(100)}`]);
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a record over its size', async () => {
    const error = await refusal([`phoneNumber\n${'x'.repeat(300)}\n`]);
    expect(error.code).toBe('VALIDATION_FAILED');
  });
});

describe('checkCsvRequest', () => {
  it.each([
    ['text/csv', undefined],
    ['text/csv; charset=UTF-8', undefined],
    ['text/csv; charset="utf8"; header=present', undefined],
    ['application/json', 'UNSUPPORTED_MEDIA_TYPE'],
    ['text/csv; charset=latin1', 'UNSUPPORTED_MEDIA_TYPE'],
    ['', 'UNSUPPORTED_MEDIA_TYPE'],
  ])('takes a body of type %j: %s', (type, code) => {
    const { req, res } = requestOf([], { 'content-type': type });
    if (code === undefined) expect(() => checkCsvRequest(req, res, LIMITS)).not.toThrow();
    else expect(() => checkCsvRequest(req, res, LIMITS)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses a compressed body, and one announced over the limit', () => {
    const gzip = requestOf([], { 'content-encoding': 'gzip' });
    expect(() => checkCsvRequest(gzip.req, gzip.res, LIMITS)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE' }),
    );
    const large = requestOf([], { 'content-length': '2048' });
    expect(() => checkCsvRequest(large.req, large.res, LIMITS)).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }),
    );
  });
});
