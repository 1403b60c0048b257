// The SMPP adapter (SMS_PROVIDER=smpp; README, "Connecting to an SMSC"): submit_sm over SMPP v3.4
// transceiver binds to one SMSC, from every worker process. SMPP has no idempotency key and no
// lookup, so a submit_sm whose answer never came is OUTCOME_UNKNOWN unless SMPP_RESEND_UNKNOWN.
// Receipts and mobile-originated messages arrive as deliver_sm on the same binds.
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomInt } from 'node:crypto';
import type Redis from 'ioredis';
import {
  redisConfig,
  smppConfig,
  smsConfig,
  routingConfig,
  type RoutingConfig,
  SMPP_WRITE_MARGIN_MS,
  smppAddressOf,
  type RedisConfig,
  type SmppConfig,
  type SmppSettings,
  type SmsConfig,
} from '../../config/configuration';
import { REDIS, redisKey } from '../../redis/redis.module';
import { outcomeUnknown } from '../provider-call';
import {
  INBOUND_RECORDER,
  RECEIPT_RECORDER,
  type InboundRecorder,
  type ReceiptRecorder,
} from '../receipts';
import {
  RESENT,
  type CallContext,
  type MessageParts,
  type SendRequest,
  type SendResult,
  type SmsProvider,
} from '../sms-provider';
import { SmppBinds, type BeforeWrite, type SubmitOutcome } from './smpp-binds';
import type { DeliverSm, SubmitSmFields } from './smpp-session';
import { classifyCommandStatus } from './smpp-codes';
import { encodeMessage } from './smpp-encoding';
import { canonicalMessageId, readDeliverSm, SMPP_PROVIDER } from './smpp-receipts';
import { SmppThroughput } from './smpp-throughput';

/** SMPP command statuses the adapter answers deliver_sm with. */
const ESME_ROK = 0x00;
/** Permanent application error: a deliver_sm Salvo can never read (the SMSC must not resend it). */
const ESME_RX_R_APPN = 0x65;

/** Nothing was written: the window stayed full, the account's MPS, or shutdown. */
export const NOT_WRITTEN_CODE = 'SMPP_NOT_WRITTEN';
/** Nothing was written because no bind to the SMSC was up in time. */
export const NOT_BOUND_CODE = 'SMPP_NOT_BOUND';
/** The codes of a submit_sm written but never answered: outcomes unknown. */
export const RESPONSE_TIMEOUT_CODE = 'SMPP_RESPONSE_TIMEOUT';
export const CONNECTION_LOST_CODE = 'SMPP_CONNECTION_LOST';

type Rejection = Extract<SendResult, { accepted: false }>;

/** What became of one part of a message in one call. */
type PartOutcome =
  | { part: number; kind: 'accepted'; providerMessageId: string }
  | { part: number; kind: 'refused'; refusal: Rejection }
  | { part: number; kind: 'unwritten'; refusal: Rejection }
  | { part: number; kind: 'unknown'; refusal: Rejection };

@Injectable()
export class SmppSmsProvider implements SmsProvider, OnApplicationBootstrap, OnApplicationShutdown {
  /** SMPP has no idempotency key: unknown outcomes go to `resolve`. */
  readonly idempotent = false;
  private readonly logger = new Logger(SmppSmsProvider.name);
  /** Built when a route names SMPP: every adapter is constructed, and SMPP may not be configured. */
  private binds: SmppBinds | null = null;
  private throughput: SmppThroughput | null = null;

  constructor(
    @Inject(smppConfig.KEY) private readonly config: SmppConfig,
    @Inject(smsConfig.KEY) private readonly sms: SmsConfig,
    @Inject(routingConfig.KEY) private readonly routing: RoutingConfig,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(redisConfig.KEY) private readonly redisSettings: RedisConfig,
    @Inject(RECEIPT_RECORDER) private readonly receipts: ReceiptRecorder,
    @Inject(INBOUND_RECORDER) private readonly inbound: InboundRecorder,
  ) {}

  /** Binds as soon as the worker is up, so receipts and inbound messages flow before any send. */
  onApplicationBootstrap(): void {
    if (this.routing.providers.includes(SMPP_PROVIDER)) this.connection();
  }

  /** After dispatch drained (beforeApplicationShutdown): unbinds cleanly. */
  async onApplicationShutdown(): Promise<void> {
    await this.binds?.close();
  }

  async send(request: SendRequest, { signal }: CallContext = {}): Promise<SendResult> {
    const settings = this.settings();
    const binds = this.connection();
    // A retry keeps the reference of the parts already sent, so the handset joins them all.
    const reference = request.parts?.reference ?? randomInt(256);
    const encoded = encodeMessage(request.body, reference);
    const total = encoded.parts.length;
    if (!total) {
      return {
        accepted: false,
        category: 'content_rejected',
        code: 'SMPP_EMPTY_MESSAGE',
        message: 'The message rendered to an empty text; an SMSC takes no submit_sm without one.',
      };
    }
    const previous = request.parts?.total === total ? request.parts : undefined;
    const accepted = new Map(previous?.accepted.map((a) => [a.part, a.providerMessageId]));
    // Every part still to send goes at once, each in its own window place: a long message takes
    // one response time, not one per part.
    const waitUntil =
      Date.now() + this.sms.timeoutMs - settings.responseTimeoutMs - SMPP_WRITE_MARGIN_MS;
    const outcomes = await Promise.all(
      encoded.parts
        .map((shortMessage, index) => ({ part: index + 1, shortMessage }))
        .filter(({ part }) => !accepted.has(part))
        .map(({ part, shortMessage }) =>
          this.submitPart(
            binds,
            part,
            {
              ...this.fields(settings, request),
              esm_class: encoded.esmClass,
              data_coding: encoded.dataCoding,
              short_message: shortMessage,
            },
            { waitUntil, signal },
          ),
        ),
    );
    for (const outcome of outcomes) {
      if (outcome.kind === 'accepted') accepted.set(outcome.part, outcome.providerMessageId);
    }
    const parts: MessageParts | undefined =
      total > 1
        ? {
            reference,
            total,
            accepted: [...accepted]
              .sort(([a], [b]) => a - b)
              .map(([part, providerMessageId]) => ({ part, providerMessageId })),
          }
        : undefined;
    const withParts = parts ? { parts } : {};
    const failed = outcomes.filter((o) => o.kind !== 'accepted');
    if (!failed.length) {
      return { accepted: true, providerMessageId: accepted.get(1) ?? '', ...withParts };
    }
    // An unknown part makes the message's outcome unknown; then a refusal decides; a part that was
    // never written leaves the message to be retried.
    const decisive =
      failed.find((o) => o.kind === 'unknown') ??
      failed.find((o) => o.kind === 'refused') ??
      failed[0];
    return { ...decisive.refusal, ...withParts };
  }

  /**
   * SMPP cannot be asked what the SMSC did with a submit_sm: the outcome stays unknown, unless
   * SMPP_RESEND_UNKNOWN sends it again (only the parts `request.parts` does not hold: callProvider
   * passes on those the unknown call had sent).
   */
  async resolve(request: SendRequest, { signal }: CallContext): Promise<SendResult> {
    if (!this.settings().resendUnknown) {
      return outcomeUnknown(
        'The SMSC did not answer the submit_sm, and SMPP offers no way to ask whether it took it; it is not sent again (SMPP_RESEND_UNKNOWN is off).',
      );
    }
    const sent = await this.send(request, { signal });
    return {
      ...sent,
      resolution: {
        method: 'resend',
        outcome: RESENT,
        detail:
          'The SMSC did not answer the submit_sm; sent again because SMPP_RESEND_UNKNOWN is on (the recipient may get it twice).',
      },
    };
  }

  /**
   * One part: a submit_sm on a bind with window room, written when its slot of the account's
   * throughput (SMPP_MAX_MPS) comes, the place held meanwhile.
   */
  private async submitPart(
    binds: SmppBinds,
    part: number,
    fields: SubmitSmFields,
    options: { waitUntil: number; signal?: AbortSignal },
  ): Promise<PartOutcome> {
    const beforeWrite = this.slot(options.waitUntil);
    return toPartOutcome(
      part,
      await binds.submit(fields, { ...options, ...(beforeWrite ? { beforeWrite } : {}) }),
    );
  }

  /** Waits for the PDU's throughput slot (SMPP_MAX_MPS), if the account has a limit. */
  private slot(waitUntil: number): BeforeWrite | undefined {
    const throughput = this.pacer();
    if (!throughput) return undefined;
    return async () => {
      try {
        if (await throughput.take(waitUntil)) return null;
      } catch (error) {
        this.logger.warn(
          `SMPP_MAX_MPS could not be counted in Redis (${(error as Error).message}); the submit_sm waits for a later try.`,
        );
      }
      return { kind: 'unwritten', reason: 'throughput' };
    };
  }

  /** What every part of a message carries. */
  private fields(
    settings: SmppSettings,
    request: SendRequest,
  ): Omit<SubmitSmFields, 'esm_class' | 'data_coding' | 'short_message'> {
    // A reply goes from the address the handset wrote to, numbered as SMPP_SOURCE_ADDR would be.
    const source = (request.from && smppAddressOf(request.from)) || settings.source;
    return {
      source_addr: source.addr,
      source_addr_ton: source.ton,
      source_addr_npi: source.npi,
      // Salvo's numbers are E.164: international, ISDN plan, sent without the "+".
      destination_addr: request.to.replace(/^\+/, ''),
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      // A final receipt, delivered or not.
      registered_delivery: 1,
      // The package writes a Date in SMPP's absolute format, in UTC (YYMMDDhhmmsst00+).
      validity_period: request.validUntil,
    };
  }

  /** A deliver_sm: a receipt, or a message from a phone; answered once it is durable. */
  private async delivered(pdu: DeliverSm): Promise<number> {
    const read = readDeliverSm(pdu, this.settings().receiptIdBase, new Date());
    switch (read.kind) {
      case 'receipt':
        await this.receipts.record([read.receipt]);
        return ESME_ROK;
      case 'inbound':
        await this.inbound.store(read.message);
        return ESME_ROK;
      case 'malformed':
        this.logger.warn(`A deliver_sm could not be read and was refused for good: ${read.reason}`);
        return ESME_RX_R_APPN;
    }
  }

  private connection(): SmppBinds {
    if (!this.binds) {
      this.binds = new SmppBinds(this.settings(), (pdu) => this.delivered(pdu), this.logger);
      this.binds.start();
    }
    return this.binds;
  }

  private pacer(): SmppThroughput | null {
    const settings = this.settings();
    if (!settings.maxMps) return null;
    this.throughput ??= new SmppThroughput(
      this.redis,
      redisKey(
        this.redisSettings,
        'smpp',
        'mps',
        `${settings.systemId}@${settings.host}:${settings.port}`,
      ),
      settings.maxMps,
    );
    return this.throughput;
  }

  private settings(): SmppSettings {
    const settings = this.config.settings;
    if (!settings)
      throw new Error('SMPP is not configured (SMPP_URL and the other SMPP_* settings).');
    return settings;
  }
}

function unwritten(part: number, message: string, code = NOT_WRITTEN_CODE): PartOutcome {
  return {
    part,
    kind: 'unwritten',
    refusal: {
      accepted: false,
      category: 'rate_limited',
      code,
      message,
      local: true,
      // No bind up: the SMSC is out of reach, which its circuit breaker counts (issue 16).
      ...(code === NOT_BOUND_CODE && { unavailable: true }),
    },
  };
}

function toPartOutcome(part: number, outcome: SubmitOutcome): PartOutcome {
  switch (outcome.kind) {
    case 'answered': {
      if (outcome.commandStatus === ESME_ROK && outcome.messageId) {
        return { part, kind: 'accepted', providerMessageId: canonicalMessageId(outcome.messageId) };
      }
      if (outcome.commandStatus === ESME_ROK) {
        // Accepted without an id: sent, but no receipt could ever be matched to it.
        return {
          part,
          kind: 'unknown',
          refusal: {
            accepted: false,
            category: 'timeout',
            code: 'SMPP_NO_MESSAGE_ID',
            message: 'The SMSC accepted the submit_sm without a message_id.',
          },
        };
      }
      return {
        part,
        kind: 'refused',
        refusal: { accepted: false, ...classifyCommandStatus(outcome.commandStatus) },
      };
    }
    case 'unwritten':
      if (outcome.refusal) {
        const refusal = classifyCommandStatus(outcome.refusal.commandStatus, 'bind_transceiver');
        // Our credentials refused: the batch fails (auth), as with any provider.
        if (refusal.category === 'auth') {
          return { part, kind: 'refused', refusal: { accepted: false, ...refusal } };
        }
      }
      return unwritten(
        part,
        notWrittenMessage(outcome.reason),
        outcome.reason === 'not-bound' ? NOT_BOUND_CODE : NOT_WRITTEN_CODE,
      );
    case 'unknown':
      return {
        part,
        kind: 'unknown',
        refusal: {
          accepted: false,
          category: 'timeout',
          code: outcome.reason === 'timeout' ? RESPONSE_TIMEOUT_CODE : CONNECTION_LOST_CODE,
          message:
            outcome.reason === 'timeout'
              ? 'The SMSC did not answer the submit_sm within SMPP_RESPONSE_TIMEOUT_MS.'
              : 'The connection to the SMSC dropped after the submit_sm was written.',
        },
      };
  }
}

function notWrittenMessage(
  reason: Extract<SubmitOutcome, { kind: 'unwritten' }>['reason'],
): string {
  switch (reason) {
    case 'not-bound':
      return 'No bind to the SMSC was up in time; nothing was written.';
    case 'closing':
      return 'The worker is shutting down; nothing was written.';
    case 'window-full':
      return 'Every bind was up but its window stayed full until the call ran out of time; nothing was written.';
    case 'aborted':
      return 'The call ran out of time before a window place came free; nothing was written.';
    case 'throughput':
      return "SMPP_MAX_MPS left no slot before the call's time ran out (or Redis could not count it); nothing was written.";
  }
}
