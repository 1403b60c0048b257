// Who a number sees a message come from, per provider: what contacts record and inbound messages
// are matched on (an inbound message's `to` is the sender it wrote to).
import { Inject, Injectable } from '@nestjs/common';
import {
  smppConfig,
  twilioConfig,
  type SmppConfig,
  type SmsProviderName,
  type TwilioConfig,
} from '../config/configuration';

/** The simulator's sender: no handset can write to it. */
export const SIMULATED_SENDER = 'simulated';

/**
 * An address as it is compared: E.164 for numbers written with `+` or the `00` prefix (spaces,
 * dashes, dots and brackets dropped), other digits as they are (a short code, a national number
 * whose country is unknown), anything else (an alphanumeric sender, a Messaging Service) trimmed.
 */
export function canonicalAddress(address: string): string {
  const trimmed = address.trim();
  const compact = trimmed.replace(/[\s\-().]/g, '');
  if (/^\+\d+$/.test(compact)) return compact;
  if (/^00[1-9]\d*$/.test(compact)) return `+${compact.slice(2)}`;
  if (/^\d+$/.test(compact)) return compact;
  return trimmed;
}

/** A Twilio Messaging Service SID, as a pattern JavaScript and PostgreSQL (`~`) read alike. */
export const MESSAGING_SERVICE_PATTERN = '^MG[0-9a-fA-F]{32}$';

/** A Twilio Messaging Service: its messages come from a pool of numbers, none of them this SID. */
export function isMessagingService(sender: string): boolean {
  return new RegExp(MESSAGING_SERVICE_PATTERN).test(sender);
}

/**
 * The sender of each provider, derived from its configuration: Twilio's From or Messaging Service
 * SID, SMPP's source address (international ones in E.164), `simulated` for the simulator. A
 * provider that is not configured sends nothing, and is named by itself.
 */
export function providerSenders(
  twilio: TwilioConfig,
  smpp: SmppConfig,
): Readonly<Record<SmsProviderName, string>> {
  const source = smpp.settings?.source;
  return {
    simulated: SIMULATED_SENDER,
    twilio: canonicalAddress(
      twilio.settings?.from ?? twilio.settings?.messagingServiceSid ?? 'twilio',
    ),
    smpp: source ? canonicalAddress(source.ton === 1 ? `+${source.addr}` : source.addr) : 'smpp',
  };
}

/** providerSenders for injection: derived once from the configuration. */
@Injectable()
export class ProviderSenders {
  readonly byProvider: Readonly<Record<SmsProviderName, string>>;
  /** The same, as the JSON the statement writing send results reads (dispatch.repository.ts). */
  readonly json: string;

  constructor(
    @Inject(twilioConfig.KEY) twilio: TwilioConfig,
    @Inject(smppConfig.KEY) smpp: SmppConfig,
  ) {
    this.byProvider = providerSenders(twilio, smpp);
    this.json = JSON.stringify(this.byProvider);
  }
}
