// Every inbound SMS, stored once with what consent makes of it: the account it answers, its
// keyword's action on the suppressions, and an answer to HELP queued for a worker.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  consentConfig,
  ingestConfig,
  type ConsentConfig,
  type IngestConfig,
} from '../config/configuration';
import { normalizePhoneNumber } from '../phone/phone-number';
import { InboundRepository } from '../inbound/inbound.repository';
import type { InboundRecorder, InboundSms } from '../sms/receipts';
import { ConsentRepository } from './consent.repository';
import { HelpReplyProducer } from './help-reply.producer';
import { keywordAction } from './keywords';
import { canonicalAddress } from './provider-senders';

/**
 * At most one answer to HELP per number, sender and provider in this long: it also answers an SMSC
 * that delivers one deliver_sm twice (SMPP carries no message id to tell them apart).
 */
export const HELP_REPLY_INTERVAL_MS = 3_600_000;

/** A number suppressions can name: recipients are stored in E.164. */
const E164 = /^\+[1-9]\d{1,14}$/;

@Injectable()
export class InboundConsentService implements InboundRecorder {
  private readonly logger = new Logger('InboundConsent');

  constructor(
    private readonly dataSource: DataSource,
    private readonly inbound: InboundRepository,
    private readonly consent: ConsentRepository,
    private readonly replies: HelpReplyProducer,
    @Inject(consentConfig.KEY) private readonly config: ConsentConfig,
    @Inject(ingestConfig.KEY) private readonly ingest: IngestConfig,
  ) {}

  /**
   * Stores the message and acts on it in one transaction, once per provider message id: a
   * message stored already (a provider retrying its webhook) changes nothing and queues nothing.
   * Resolves once it is committed (a webhook or a deliver_sm is acknowledged only then); the
   * answer to HELP is queued after the commit, and a reply whose queueing failed is queued again
   * by the workers' sweep (help-reply.service.ts).
   */
  async store(sms: InboundSms): Promise<boolean> {
    const action = keywordAction(sms.body, this.config.keywords);
    const phoneNumber = this.senderNumber(sms.from);
    let replies = action === 'help' && this.config.helpReplyText !== null;
    const id = await this.dataSource.transaction(async (manager) => {
      const accountId = await this.consent.attribute(manager, {
        phoneNumber,
        provider: sms.provider,
        sender: canonicalAddress(sms.to),
      });
      // One answer per number and sender per HELP_REPLY_INTERVAL: a handset (or a script) sending
      // HELP over and over gets one paid reply, not one each time.
      if (replies) replies = !(await this.recentlyAnswered(manager, sms));
      const stored = await this.inbound.insert(manager, sms, {
        accountId,
        action,
        replyStatus: replies ? 'queued' : null,
      });
      if (stored === null) return stored;
      if (!E164.test(phoneNumber)) {
        // A national or short number (SMPP without the international type) with no
        // DEFAULT_COUNTRY to read it by: stored, but no suppression can name it.
        if (action === 'opt_out' || action === 'opt_in') {
          this.logger.warn(
            {
              event: 'inbound.keyword_not_applied',
              provider: sms.provider,
              inboundId: stored,
              action,
            },
            'A keyword came from a number that is not in E.164 and could not be read as one; nothing was changed',
          );
        }
        return stored;
      }
      if (action === 'opt_out') await this.consent.optOut(manager, phoneNumber, stored);
      if (action === 'opt_in') await this.consent.optIn(manager, phoneNumber);
      return stored;
    });
    if (id === null) return false;
    if (action !== 'none') {
      this.logger.log(
        { event: 'inbound.keyword', provider: sms.provider, inboundId: id, action },
        `An inbound message asked for ${action}`,
      );
    }
    if (replies) {
      try {
        await this.replies.enqueue([id]);
      } catch (error) {
        this.logger.warn(
          { event: 'help_reply.unqueued', inboundId: id, err: error },
          'The answer to HELP could not be queued; the sweep queues it again',
        );
      }
    }
    return true;
  }

  /**
   * The sender in E.164 when it can be: as written with its `+`, else read as a national number
   * of DEFAULT_COUNTRY (an SMSC may give a national type of number), else as it came.
   */
  private senderNumber(from: string): string {
    const address = canonicalAddress(from);
    if (E164.test(address) || !this.ingest.defaultCountry) return address;
    const parsed = normalizePhoneNumber(address, this.ingest.defaultCountry);
    return 'e164' in parsed ? parsed.e164 : address;
  }

  /**
   * Whether the number was answered (or is about to be) from this sender within the interval.
   * The advisory lock makes two HELPs of one pair at once take turns, so only one is answered.
   */
  private async recentlyAnswered(manager: EntityManager, sms: InboundSms): Promise<boolean> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
      `help-reply:${sms.provider}:${sms.from}:${sms.to}`,
    ]);
    const rows = await manager.query<unknown[]>(
      `SELECT 1 FROM inbound_messages
        WHERE from_number = $1 AND to_number = $2 AND provider = $3 AND reply_status IS NOT NULL
          AND received_at > now() - make_interval(secs => $4::double precision / 1000)
        LIMIT 1`,
      [sms.from, sms.to, sms.provider, HELP_REPLY_INTERVAL_MS],
    );
    return rows.length > 0;
  }
}
