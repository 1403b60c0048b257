// Reads a text/csv request body as it arrives, record by record (csv-parse: quoted fields, quotes
// doubled inside them, fields over several lines, CRLF or LF, a BOM), within a size and an idle
// time. The body is never held whole: only the record being parsed is.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CsvError, parse } from 'csv-parse';
import { DomainError, ValidationFailed } from '../errors/domain-error';
import { isUtf8MediaType } from '../http/media-type';
import { awaitingContinue, dropUnreadBody } from '../http/unread-body';
import { timedOut, tooLarge } from '../request-body/request-body.reader';

export interface CsvLimits {
  bytes: number;
  /** Said in a 413. */
  describe: string;
  /** A body that stops arriving for this long is answered with a 408. */
  idleTimeoutMs: number;
  /** Bytes per millisecond the body must average once `idleTimeoutMs` has passed (0: none). */
  minBytesPerMs: number;
  /** Characters one record may hold. */
  maxRecordChars: number;
}

export interface CsvRecord {
  record: string[];
  /** The line the record starts on, the file's first line being 1. */
  line: number;
}

const CSV = 'text/csv';

/**
 * Refuses, before anything of the body is read, a request whose body is not UTF-8 CSV (415) or is
 * announced larger than the limit (413); what was sent is dropped.
 */
export function checkCsvRequest(
  req: IncomingMessage,
  res: ServerResponse,
  limits: CsvLimits,
): void {
  const refuse = (error: DomainError): never => {
    dropUnreadBody(req, res);
    throw error;
  };
  if (!isUtf8MediaType(req.headers['content-type'], CSV)) {
    refuse(
      new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        `This route takes a ${CSV} body in UTF-8, with a header row naming a phoneNumber column.`,
      ),
    );
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    refuse(new DomainError('UNSUPPORTED_MEDIA_TYPE', 'This route takes uncompressed bodies only.'));
  }
  if (Number(req.headers['content-length'] ?? 0) > limits.bytes) refuse(tooLarge(limits));
}

/** The body's records in order; throws a 400 for CSV it cannot read, 413 or 408 as it arrives. */
export async function* csvRecords(
  req: IncomingMessage,
  res: ServerResponse,
  limits: CsvLimits,
): AsyncGenerator<CsvRecord> {
  const parser = parse({
    bom: true,
    relax_column_count: true,
    max_record_size: limits.maxRecordChars,
  });
  let received = 0;
  let lastData = Date.now();
  let failed = false;
  const fail = (error: DomainError) => {
    if (failed) return;
    failed = true;
    parser.destroy(error);
  };
  const onData = (chunk: Buffer) => {
    if (failed) return;
    lastData = Date.now();
    received += chunk.length;
    if (received > limits.bytes) return fail(tooLarge(limits));
    if (!parser.write(chunk)) req.pause();
  };
  const onDrain = () => req.resume();
  const onEnd = () => {
    clearInterval(watchdog);
    parser.end();
  };
  const onError = () => fail(unreadable());
  const onClose = () => {
    if (!req.readableEnded) fail(unreadable());
  };
  const started = Date.now();
  // A slow sender must not hold an import's turn for minutes: a body that stops arriving, or that
  // has averaged less than the minimum rate once the idle time has passed, is answered with a 408.
  const watchdog = setInterval(
    () => {
      // A body paused by this side (the parser is behind) is not idle.
      if (req.isPaused()) return;
      const now = Date.now();
      if (now - lastData > limits.idleTimeoutMs) return fail(timedOut('stopped arriving'));
      const elapsed = now - started;
      if (elapsed > limits.idleTimeoutMs && received < elapsed * limits.minBytesPerMs) {
        fail(timedOut('arrives too slowly for its size'));
      }
    },
    Math.min(1_000, limits.idleTimeoutMs),
  );
  parser.on('drain', onDrain);
  req.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
  // The client waits for this before it sends a body it announced with Expect (main.ts).
  if (awaitingContinue.has(req) && !res.headersSent) res.writeContinue();
  if (req.readableEnded) parser.end();
  else if (req.destroyed) fail(unreadable());
  try {
    // Counted here rather than taken from the parser's info, which counts a CRLF inside a quoted
    // field as two lines.
    let line = 1;
    for await (const record of parser as AsyncIterable<string[]>) {
      yield { record, line };
      line += 1 + lineBreaks(record);
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new ValidationFailed(`The CSV body cannot be read: ${error.message}`, [
        { path: '', message: line ? `line ${line}: ${error.message}` : error.message },
      ]);
    }
    throw error;
  } finally {
    clearInterval(watchdog);
    req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    parser.off('drain', onDrain);
    if (!parser.destroyed) parser.destroy();
    // Stopped before the end (a refusal, or a header without the column): the rest is dropped.
    if (!req.complete) dropUnreadBody(req, res);
  }
}

/** Line breaks inside a record's fields (quoted fields may hold CRLF, LF or CR). */
export function lineBreaks(record: readonly string[]): number {
  let count = 0;
  for (const field of record) count += field.match(/\r\n|\r|\n/g)?.length ?? 0;
  return count;
}

function unreadable(): DomainError {
  return new DomainError('VALIDATION_FAILED', 'The request body could not be read.', [
    { path: '', message: 'could not be read' },
  ]);
}
