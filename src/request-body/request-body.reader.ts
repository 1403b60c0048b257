// Reads a request's JSON body once its route is known and its caller authenticated (the
// interceptor beside this file calls it), within the route's limits: bytes, shape (the scanner),
// and how many large bodies the process handles at once.
import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Inject, Injectable } from '@nestjs/common';
import { ingestConfig, type IngestConfig } from '../config/configuration';
import { DomainError, ValidationFailed, type ErrorDetail } from '../errors/domain-error';
import { LARGE_BODY_BYTES, type BodyLimits } from './body-limits';
import { JsonShapeScanner, type ShapeProblem } from './json-shape-scanner';
import { Slots, type Release } from './slots';
import { awaitingContinue, dropUnreadBody } from '../http/unread-body';

const NOT_JSON: ErrorDetail = { path: '', message: 'is not a valid JSON object or array' };

@Injectable()
export class RequestBodyReader {
  private readonly largeBodies: Slots;
  private readonly waitMs: number;
  private readonly idleTimeoutMs: number;
  /** Bytes per millisecond a large body holding a slot must average once the idle timeout passed. */
  private readonly minBytesPerMs: number;
  /** Seeds the scanner's key hash, so nobody can aim collisions at it from outside. */
  private readonly seed = randomInt(2 ** 31);

  constructor(@Inject(ingestConfig.KEY) ingest: IngestConfig) {
    this.largeBodies = new Slots(ingest.maxConcurrentLargeBodies);
    this.waitMs = ingest.largeBodyWaitMs;
    this.idleTimeoutMs = ingest.bodyIdleTimeoutMs;
    this.minBytesPerMs = (ingest.largeBodyMinKbps * 1024) / 1000;
  }

  /** The parsed body; undefined when the request has none or it is not JSON (as express.json). */
  async read(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<unknown> {
    const headers = req.headers;
    if (headers['transfer-encoding'] === undefined && headers['content-length'] === undefined) {
      return undefined;
    }
    const declared = Number(headers['content-length'] ?? NaN);
    if (declared > limits.bytes) {
      dropUnreadBody(req, res);
      throw tooLarge(limits);
    }
    if (!isJson(headers['content-type'])) return undefined;
    const stream = decoded(req);
    // The client waits for this before it sends a body it announced with Expect (main.ts).
    if (awaitingContinue.has(req) && !res.headersSent) res.writeContinue();
    const slot: { release?: Release } = {};
    try {
      return parse(await this.collect(req, stream, limits, res, slot));
    } finally {
      // Held until the answer is sent: handling a large body costs more than reading it.
      const { release } = slot;
      if (release) {
        if (res.writableFinished || res.destroyed) release();
        else res.once('close', release);
      }
    }
  }

  /**
   * A turn to read a large body (MAX_CONCURRENT_LARGE_BODIES per process, shared by JSON batches
   * and CSV imports); a 503 with Retry-After when none came within LARGE_BODY_WAIT_MS.
   */
  async largeBodySlot(res: ServerResponse): Promise<Release> {
    const release = await this.largeBodies.acquire(this.waitMs);
    if (!release) {
      if (!res.headersSent) res.setHeader('Retry-After', '1');
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        'Too many large request bodies are being handled; retry in a moment.',
      );
    }
    return release;
  }

  /**
   * The body's bytes, scanned as they arrive; stops at the first problem. A body over
   * LARGE_BODY_BYTES (announced, or found so while it arrives) pauses until it gets a slot, which is
   * left in `slot` for the caller to give back.
   */
  private collect(
    req: IncomingMessage,
    stream: Readable,
    limits: BodyLimits,
    res: ServerResponse,
    slot: { release?: Release },
  ): Promise<Buffer> {
    const scanner = new JsonShapeScanner(limits, { seed: this.seed });
    const chunks: Buffer[] = [];
    let received = 0;
    let large = Number(req.headers['content-length'] ?? NaN) > LARGE_BODY_BYTES;
    return new Promise<Buffer>((resolve, reject) => {
      let settled = false;
      let lastData = Date.now();
      let slotSince: number | undefined;
      let waitingForSlot = false;
      // Slow senders must not hold the process's attention, or a large-body slot, for minutes:
      // a body that stops arriving for BODY_IDLE_TIMEOUT_MS, or that holds a slot while it has
      // averaged less than LARGE_BODY_MIN_KBPS once that long has passed, is answered with a 408.
      const watchdog = setInterval(
        () => {
          const now = Date.now();
          if (waitingForSlot) return;
          if (now - lastData > this.idleTimeoutMs) {
            return stop(timedOut('stopped arriving'));
          }
          const held = slotSince === undefined ? 0 : now - slotSince;
          if (held > this.idleTimeoutMs && received < held * this.minBytesPerMs) {
            return stop(timedOut('arrives too slowly for its size'));
          }
        },
        Math.min(1_000, this.idleTimeoutMs),
      );
      const stop = (error: Error) => {
        if (settled) return;
        settled = true;
        clearInterval(watchdog);
        stream.off('data', onData).off('end', onEnd).off('error', onError);
        req.off('close', onClose);
        if (stream !== req) {
          req.unpipe();
          stream.destroy();
        }
        dropUnreadBody(req, res);
        reject(error);
      };
      const waitForSlot = () => {
        stream.pause();
        waitingForSlot = true;
        this.largeBodySlot(res).then((release) => {
          waitingForSlot = false;
          // The request may have ended while it waited: the slot goes straight back.
          if (settled) return release();
          slot.release = release;
          lastData = slotSince = Date.now();
          stream.resume();
        }, stop);
      };
      const onData = (chunk: Buffer) => {
        lastData = Date.now();
        received += chunk.length;
        if (received > limits.bytes) return stop(tooLarge(limits));
        const problem = scanner.write(chunk);
        chunks.push(chunk);
        if (problem) return stop(this.refusal(problem, chunks, limits));
        if (!large && received > LARGE_BODY_BYTES) {
          large = true;
          waitForSlot();
        }
      };
      const onEnd = () => {
        settled = true;
        clearInterval(watchdog);
        req.off('close', onClose);
        resolve(Buffer.concat(chunks, received));
      };
      const onError = (error: Error) => stop(unreadable(error));
      // Closed before all of its body was handed on (to us, or to the inflating stream that
      // holds on to it under back-pressure): the client went away, and the rest never comes.
      const onClose = () => {
        if (!req.readableEnded) stop(unreadable(new Error('the request was aborted')));
      };
      stream.on('data', onData).once('end', onEnd).once('error', onError);
      req.once('close', onClose);
      // Gone while its caller was being authenticated: nothing will arrive and nobody will read.
      if (req.destroyed) return stop(unreadable(new Error('the request was closed')));
      if (large) waitForSlot();
    });
  }

  /** A 400 naming where the shape went wrong (found again with paths), or a 413 for its size. */
  private refusal(problem: ShapeProblem, chunks: Buffer[], limits: BodyLimits): DomainError {
    if (problem.kind === 'containers' || problem.kind === 'elements') {
      const what =
        problem.kind === 'containers'
          ? `more than ${limits.maxContainers} objects and arrays`
          : `more than ${limits.maxElements} array elements`;
      return new DomainError(
        'PAYLOAD_TOO_LARGE',
        `The request body holds ${what}, more than this route ever needs.`,
      );
    }
    // The fast pass names no path; a second pass over what was read does.
    const locator = new JsonShapeScanner(limits, { seed: this.seed, paths: true });
    let located: ShapeProblem | undefined;
    for (const chunk of chunks) if ((located = locator.write(chunk))) break;
    return ValidationFailed.of([(located ?? problem).detail]);
  }
}

/** A 413 for a body past its route's limit (`describe` says which). */
export function tooLarge(limits: Pick<BodyLimits, 'describe'>): DomainError {
  return new DomainError(
    'PAYLOAD_TOO_LARGE',
    `The request body is larger than ${limits.describe}, the limit of this route.`,
  );
}

/** A 408 for a body that stopped arriving, or arrives too slowly for its size. */
export function timedOut(how: string): DomainError {
  return new DomainError('REQUEST_TIMEOUT', `The request body ${how}; send it again.`);
}

function unreadable(cause: Error): DomainError {
  return new DomainError(
    'VALIDATION_FAILED',
    'The request body could not be read; send UTF-8 JSON.',
    [{ path: '', message: 'could not be read' }],
    { cause },
  );
}

/** `application/json`, in UTF-8 (said or implied); like express.json, other types are not read. */
function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...parameters] = contentType.split(';');
  if (type.trim().toLowerCase() !== 'application/json') return false;
  for (const parameter of parameters) {
    const [name, value = ''] = parameter.split('=');
    if (name.trim().toLowerCase() !== 'charset') continue;
    const charset = value
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      throw unreadable(new Error(`unsupported charset ${charset}`));
    }
  }
  return true;
}

/** The body as sent, inflated when it is compressed (the limits count inflated bytes). */
function decoded(req: IncomingMessage): Readable {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  switch (encoding) {
    case 'identity':
      return req;
    case 'gzip':
    case 'x-gzip':
      return req.pipe(createGunzip());
    case 'deflate':
      return req.pipe(createInflate());
    case 'br':
      return req.pipe(createBrotliDecompress());
    default:
      throw unreadable(new Error(`unsupported content encoding ${encoding}`));
  }
}

/** JSON.parse, strict as express.json was: an object or an array; an empty body reads as {}. */
function parse(bytes: Buffer): unknown {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) return {};
  if (first === '{' || first === '[') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Answered below, as a body that is not an object or an array.
    }
  }
  throw new ValidationFailed('The request body is not a valid JSON object or array.', [NOT_JSON]);
}
