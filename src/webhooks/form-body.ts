// Reads a provider webhook's body: application/x-www-form-urlencoded in UTF-8 only, bounded in bytes
// and in time. Webhooks read their own bodies (the API's JSON reader, src/request-body/, skips them).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError } from '../errors/domain-error';
import { isUtf8MediaType } from '../http/media-type';
import { awaitingContinue, dropUnreadBody } from '../http/unread-body';

/** Every posted parameter; a name posted more than once holds each of its values in order. */
export type FormParams = Record<string, string | string[]>;

export interface FormLimits {
  bytes: number;
  /** Parameters at most: every one costs the signature check a sort and a join. */
  parameters: number;
  /** Said in a 413. */
  describe: string;
  /** The whole body must have arrived this long after reading began. */
  timeoutMs: number;
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * The body's parameters. Throws 415 UNSUPPORTED_MEDIA_TYPE for another type, charset or content
 * encoding, 413 PAYLOAD_TOO_LARGE past `limits.bytes` (announced or found so while it arrives),
 * 408 REQUEST_TIMEOUT when it arrives too slowly; what is left of a refused body is dropped.
 */
export async function readFormBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits: FormLimits,
): Promise<FormParams> {
  const refuse = (error: DomainError): never => {
    dropUnreadBody(req, res);
    throw error;
  };
  if (!isUtf8MediaType(req.headers['content-type'], FORM)) {
    refuse(
      new DomainError(
        'UNSUPPORTED_MEDIA_TYPE',
        `This webhook takes ${FORM} bodies in UTF-8 only, as the provider sends them.`,
      ),
    );
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    refuse(
      new DomainError('UNSUPPORTED_MEDIA_TYPE', 'This webhook takes uncompressed bodies only.'),
    );
  }
  if (Number(req.headers['content-length'] ?? 0) > limits.bytes) refuse(tooLarge(limits));
  // The client waits for this before it sends a body it announced with Expect (main.ts).
  if (awaitingContinue.has(req) && !res.headersSent) res.writeContinue();
  const bytes = await collect(req, limits).catch((error: DomainError) => refuse(error));
  return parse(bytes.toString('utf8'), limits);
}

function collect(req: IncomingMessage, limits: FormLimits): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = (error?: DomainError) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, received));
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.bytes) return stop(tooLarge(limits));
      chunks.push(chunk);
    };
    const onEnd = () => stop();
    const onError = () => stop(unreadable());
    const onClose = () => {
      if (!req.readableEnded) stop(unreadable());
    };
    const timer = setTimeout(
      () =>
        stop(
          new DomainError('REQUEST_TIMEOUT', 'The request body arrived too slowly; send it again.'),
        ),
      limits.timeoutMs,
    );
    req.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
    if (req.readableEnded) return stop();
    if (req.destroyed) return stop(unreadable());
  });
}

/** As URLSearchParams reads a form (`+` is a space, bad escapes kept as written). */
function parse(text: string, limits: FormLimits): FormParams {
  // No prototype: a parameter named __proto__ or constructor is an ordinary name here.
  const params = Object.create(null) as FormParams;
  let count = 0;
  for (const [name, value] of new URLSearchParams(text)) {
    if (++count > limits.parameters) {
      throw new DomainError(
        'PAYLOAD_TOO_LARGE',
        `The request body holds more than ${limits.parameters} parameters, the limit of this webhook.`,
      );
    }
    const seen = params[name];
    if (seen === undefined) params[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else params[name] = [seen, value];
  }
  return params;
}

function tooLarge(limits: FormLimits): DomainError {
  return new DomainError(
    'PAYLOAD_TOO_LARGE',
    `The request body is larger than ${limits.describe}, the limit of this webhook.`,
  );
}

function unreadable(): DomainError {
  return new DomainError('VALIDATION_FAILED', 'The request body could not be read.', [
    { path: '', message: 'could not be read' },
  ]);
}
