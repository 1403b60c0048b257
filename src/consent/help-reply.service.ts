// Sends the answer to a HELP keyword (HELP_REPLY_TEXT) through the provider and from the sender
// the number wrote to, outside any batch, at most once, and records how it went on the inbound row.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  consentConfig,
  smsConfig,
  type ConsentConfig,
  type SmsConfig,
  type SmsProviderName,
} from '../config/configuration';
import { queryRows } from '../database/query-rows';
import { sendWithTimeout } from '../sms/provider-call';
import { SmsProviders } from '../sms/sms.module';
import type { SendResult } from '../sms/sms-provider';
import { HelpReplyProducer } from './help-reply.producer';

/**
 * What a reply's row says while its call is made: if the worker dies before it records the
 * answer, this stays, so the reply is reported as possibly sent and never sent again.
 */
export const REPLY_IN_FLIGHT =
  'OUTCOME_UNKNOWN: the worker stopped during the call; the provider may have sent the reply.';

/** How long a reply's message is worth sending: a provider that queues it drops it after this. */
const REPLY_VALIDITY_MS = 3_600_000;

/** Replies left `queued` this long (their job was never added) are queued again by the sweep. */
const STRANDED_AFTER_MS = 60_000;
/** The sweep looks back this far, no further: an answer a day late is not worth sending. */
const STRANDED_WITHIN_MS = 86_400_000;

export interface ReplyOutcome {
  status: 'sent' | 'failed';
  providerMessageId: string | null;
  error: string | null;
}

@Injectable()
export class HelpReplyService {
  private readonly logger = new Logger('HelpReply');

  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: SmsProviders,
    private readonly producer: HelpReplyProducer,
    @Inject(consentConfig.KEY) private readonly consent: ConsentConfig,
    @Inject(smsConfig.KEY) private readonly sms: SmsConfig,
  ) {}

  /**
   * Sends the reply of one inbound message if it is still `queued`: marked first by a conditional
   * update (a job run twice, by a retry or two workers, sends once), then sent, then recorded.
   * Answers the outcome, or null when the reply was not queued (handled already).
   */
  async send(inboundId: string): Promise<ReplyOutcome | null> {
    const [row] = await queryRows<{ provider: string; from: string; to: string }>(
      this.dataSource.manager,
      `UPDATE inbound_messages SET reply_status = 'failed', reply_error = $2
       WHERE id = $1 AND reply_status = 'queued'
       RETURNING provider, from_number AS "from", to_number AS "to"`,
      [inboundId, REPLY_IN_FLIGHT],
    );
    if (!row) return null;
    const outcome = await this.call(inboundId, row);
    await this.dataSource.query(
      `UPDATE inbound_messages
       SET reply_status = $2, reply_provider_message_id = $3, reply_error = $4
       WHERE id = $1 AND reply_status = 'failed' AND reply_error = $5`,
      [inboundId, outcome.status, outcome.providerMessageId, outcome.error, REPLY_IN_FLIGHT],
    );
    this.logger.log(
      { event: 'help_reply.' + outcome.status, inboundId, provider: row.provider },
      outcome.status === 'sent' ? 'Answered HELP' : `HELP could not be answered: ${outcome.error}`,
    );
    return outcome;
  }

  /**
   * Queues again the replies still `queued` a while after their message came (the process that
   * stored the message could not reach Redis, or died before queueing). A reply whose job is still
   * in Redis keeps it (the job id is the same); one sent meanwhile is no longer `queued`.
   */
  async requeueStranded(): Promise<number> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM inbound_messages
       WHERE reply_status = 'queued'
         AND received_at < now() - make_interval(secs => $1::double precision / 1000)
         AND received_at > now() - make_interval(secs => $2::double precision / 1000)
       LIMIT 1000`,
      [STRANDED_AFTER_MS, STRANDED_WITHIN_MS],
    );
    await this.producer.enqueue(rows.map((row) => row.id));
    return rows.length;
  }

  private async call(
    inboundId: string,
    row: { provider: string; from: string; to: string },
  ): Promise<ReplyOutcome> {
    const text = this.consent.helpReplyText;
    const provider = row.provider as SmsProviderName;
    if (text === null) return failed('NO_REPLY_TEXT', 'HELP_REPLY_TEXT is no longer set.');
    if (!this.providers.has(provider)) {
      return failed(
        'PROVIDER_NOT_IN_USE',
        `The provider "${row.provider}" the message came through is not in use on this worker.`,
      );
    }
    const now = Date.now();
    const result: SendResult = await sendWithTimeout(
      this.providers.get(provider),
      {
        messageId: inboundId,
        idempotencyKey: inboundId,
        to: row.from,
        from: row.to,
        body: text,
        attempt: 1,
        since: new Date(now),
        validUntil: new Date(now + REPLY_VALIDITY_MS),
      },
      this.sms.timeoutMs,
    );
    if (result.accepted) {
      return { status: 'sent', providerMessageId: result.providerMessageId, error: null };
    }
    return failed(result.code, result.message);
  }
}

function failed(code: string, message: string): ReplyOutcome {
  return { status: 'failed', providerMessageId: null, error: `${code}: ${message}` };
}
