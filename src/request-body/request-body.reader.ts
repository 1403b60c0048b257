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

const NOT_JSON: ErrorDetail = { path: '', message: 'is not a valid JSON object or array' };

@Injectable()
export class RequestBodyReader {
  private readonly largeBodies: Slots;
  private readonly waitMs: number;
  /** Seeds the scanner's key hash, so nobody can aim collisions at it from outside. */
  private readonly seed = randomInt(2 ** 31);

  constructor(@Inject(ingestConfig.KEY) ingest: IngestConfig) {
    this.largeBodies = new Slots(ingest.maxConcurrentLargeBodies);
    this.waitMs = ingest.largeBodyWaitMs;
  }

  /** The parsed body; undefined when the request has none or it is not JSON (as express.json). */
  async read(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<unknown> {
    const headers = req.headers;
    if (headers['transfer-encoding'] === undefined && headers['content-length'] === undefined) {
      return undefined;
    }
    const declared = Number(headers['content-length'] ?? NaN);
    if (declared > limits.bytes) {
      // Whatever else is on its way is not wanted: close rather than drain it.
      res.setHeader('Connection', 'close');
      throw tooLarge(limits);
    }
    if (!isJson(headers['content-type'])) return undefined;
    const stream = decoded(req);
    let release: Release | undefined;
    if (declared > LARGE_BODY_BYTES) release = await this.largeBodySlot(res);
    try {
      const body = await this.collect(req, stream, limits, res, async () => {
        release = await this.largeBodySlot(res);
      });
      return parse(body);
    } finally {
      // Held until the answer is sent: handling a large body costs more than reading it.
      if (release) {
        if (res.writableFinished || res.destroyed) release();
        else res.once('close', release);
      }
    }
  }

  private async largeBodySlot(res: ServerResponse): Promise<Release> {
    const release = await this.largeBodies.acquire(this.waitMs);
    if (!release) {
      res.setHeader('Retry-After', '1');
      res.setHeader('Connection', 'close');
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        'Too many large request bodies are being handled; retry in a moment.',
      );
    }
    return release;
  }

  /**
   * The body's bytes, scanned as they arrive; stops at the first problem. `onLarge` is awaited (with
   * the stream paused) when a body of unknown length grows past LARGE_BODY_BYTES.
   */
  private collect(
    req: IncomingMessage,
    stream: Readable,
    limits: BodyLimits,
    res: ServerResponse,
    onLarge: () => Promise<void>,
  ): Promise<Buffer> {
    const scanner = new JsonShapeScanner(limits, { seed: this.seed });
    const chunks: Buffer[] = [];
    let received = 0;
    let large = Number(req.headers['content-length'] ?? NaN) > LARGE_BODY_BYTES;
    return new Promise<Buffer>((resolve, reject) => {
      const stop = (error: Error) => {
        stream.off('data', onData).off('end', onEnd).off('error', onError);
        req.off('aborted', onAborted);
        if (stream !== req) {
          req.unpipe();
          stream.destroy();
        }
        // The rest of the body is not read: close the connection once the answer is out.
        res.setHeader('Connection', 'close');
        req.resume();
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        received += chunk.length;
        if (received > limits.bytes) return stop(tooLarge(limits));
        const problem = scanner.write(chunk);
        chunks.push(chunk);
        if (problem) return stop(this.refusal(problem, chunks, limits));
        if (!large && received > LARGE_BODY_BYTES) {
          large = true;
          stream.pause();
          onLarge().then(
            () => stream.resume(),
            (error: Error) => stop(error),
          );
        }
      };
      const onEnd = () => {
        req.off('aborted', onAborted);
        resolve(Buffer.concat(chunks, received));
      };
      const onError = (error: Error) => stop(unreadable(error));
      const onAborted = () => stop(unreadable(new Error('the request was aborted')));
      stream.on('data', onData).once('end', onEnd).once('error', onError);
      req.once('aborted', onAborted);
    });
  }

  /** A 400 naming where the shape went wrong (found again with paths), or a 413 for its size. */
  private refusal(problem: ShapeProblem, chunks: Buffer[], limits: BodyLimits): DomainError {
    if (problem.kind === 'containers') {
      return new DomainError(
        'PAYLOAD_TOO_LARGE',
        `The request body holds more than ${limits.maxContainers} objects and arrays, more than this route ever needs.`,
      );
    }
    // The fast pass names no path; a second pass over what was read does.
    const locator = new JsonShapeScanner(limits, { seed: this.seed, paths: true });
    let located: ShapeProblem | undefined;
    for (const chunk of chunks) if ((located = locator.write(chunk))) break;
    return ValidationFailed.of([(located ?? problem).detail]);
  }
}

function tooLarge(limits: BodyLimits): DomainError {
  return new DomainError(
    'PAYLOAD_TOO_LARGE',
    `The request body is larger than ${limits.describe}, the limit of this route.`,
  );
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
