// What Twilio's signed webhooks do: a status callback becomes a receipt, recorded durably before
// the 200; an inbound SMS is stored once. Fields are bounded here, after the signature check.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DomainError, ValidationFailed } from '../errors/domain-error';
import {
  INBOUND_RECORDER,
  RECEIPT_RECORDER,
  type InboundRecorder,
  type ReceiptRecorder,
} from '../sms/receipts';
import { TWILIO_PROVIDER, twilioReceipt } from '../sms/twilio/twilio-receipts';
import type { FormParams } from './form-body';

/** Twilio's SIDs are two letters and 32 hex digits; room is left for other forms. */
const SID = /^[A-Za-z0-9]{2,64}$/;
/** E.164, a short code, an alphanumeric sender or a channel address (`whatsapp:+1…`). */
const ADDRESS_LENGTH = 128;
/** Twilio's inbound bodies are at most 1600 characters; the room left costs nothing. */
const BODY_LENGTH = 4096;
const STATUS = /^[A-Za-z_]{1,32}$/;
const ERROR_CODE = /^[A-Za-z0-9_]{1,32}$/;

@Injectable()
export class TwilioWebhooksService {
  private readonly logger = new Logger('TwilioWebhooks');

  constructor(
    // The global consent module's (src/consent/): stores the message and acts on its keyword.
    @Inject(INBOUND_RECORDER) private readonly inbound: InboundRecorder,
    // The global delivery module's (src/batch/delivery/), on every process that serves the API.
    @Inject(RECEIPT_RECORDER) private readonly recorder: ReceiptRecorder,
  ) {}

  /**
   * Records the receipt a status callback stands for; resolves once it is durable. A status that
   * says nothing about delivery (canceled…) is acknowledged and dropped.
   */
  async status(params: FormParams): Promise<void> {
    const fields = new Fields(params);
    const callback = {
      messageSid: fields.required('MessageSid', SID),
      messageStatus: fields.required('MessageStatus', STATUS),
      errorCode: fields.optional('ErrorCode', ERROR_CODE),
      // Reported, never acted on: any length is taken (the body is bounded at 64 kB) and cut to
      // MAX_ERROR_MESSAGE_LENGTH in twilio-receipts.ts, so a long text never loses the receipt.
      errorMessage: fields.optional('ErrorMessage', undefined, Infinity),
    };
    fields.check();
    const receipt = twilioReceipt(callback, new Date());
    if (!receipt) return;
    try {
      await this.recorder.record([receipt]);
    } catch (error) {
      // Not acknowledged. Twilio retries a status callback only when it cannot connect (README,
      // "Twilio's webhooks"), so this receipt may be lost: the message then ends `unknown` after
      // DELIVERY_RECEIPT_TIMEOUT_HOURS. The 503 at least shows in Twilio's debugger.
      this.logger.error(
        { event: 'receipt.unrecorded', provider: TWILIO_PROVIDER, err: error },
        'A status callback could not be recorded',
      );
      throw new DomainError(
        'SERVICE_UNAVAILABLE',
        'The receipt could not be recorded.',
        undefined,
        { cause: error, retryAfterSeconds: 1 },
      );
    }
  }

  /**
   * Stores an inbound SMS once, however often Twilio posts it, with what its keyword does; resolves
   * once that is durable.
   */
  async receive(params: FormParams): Promise<void> {
    const fields = new Fields(params);
    const sms = {
      provider: TWILIO_PROVIDER,
      providerMessageId: fields.required('MessageSid', SID),
      from: fields.required('From', undefined, ADDRESS_LENGTH),
      to: fields.required('To', undefined, ADDRESS_LENGTH),
      body: fields.optional('Body', undefined, BODY_LENGTH) ?? '',
      receivedAt: new Date(),
    };
    fields.check();
    await this.inbound.store(sms);
  }
}

/** Reads single-valued fields of a form and collects every problem, named by field. */
class Fields {
  private readonly problems: { path: string; message: string }[] = [];

  constructor(private readonly params: FormParams) {}

  required(name: string, pattern?: RegExp, maxLength = 1024): string {
    const value = this.optional(name, pattern, maxLength);
    if (value === undefined && !this.problems.some((p) => p.path === name)) {
      this.problems.push({ path: name, message: 'is required' });
    }
    return value ?? '';
  }

  optional(name: string, pattern?: RegExp, maxLength = 1024): string | undefined {
    const value = Object.hasOwn(this.params, name) ? this.params[name] : undefined;
    if (value === undefined || value === '') return undefined;
    if (Array.isArray(value)) return this.problem(name, 'is given more than once');
    if (value.length > maxLength)
      return this.problem(name, `is longer than ${maxLength} characters`);
    if (pattern && !pattern.test(value))
      return this.problem(name, 'is not in the form Twilio sends');
    // PostgreSQL's text holds no NUL; the rest of the text is kept as sent.
    return value.replace(/\0/g, '\ufffd');
  }

  /** Throws the 400 naming every field that was missing or wrong. */
  check(): void {
    if (this.problems.length) throw ValidationFailed.of(this.problems);
  }

  private problem(path: string, message: string): undefined {
    this.problems.push({ path, message });
    return undefined;
  }
}
