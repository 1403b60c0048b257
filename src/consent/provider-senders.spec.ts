import { twilioConfig, type SmppConfig, type TwilioConfig } from '../config/configuration';
import { isProviderOptOut } from './provider-opt-outs';
import { canonicalAddress, isMessagingService, providerSenders } from './provider-senders';

const SERVICE = `MG${'a'.repeat(32)}`;
const twilio = (from: string | null, messagingServiceSid: string | null = null) =>
  ({ settings: { from, messagingServiceSid } }) as unknown as TwilioConfig;
const smpp = (addr: string, ton: number) =>
  ({ settings: { source: { addr, ton, npi: 1 } } }) as unknown as SmppConfig;

describe('canonicalAddress', () => {
  it.each([
    ['+12025550100', '+12025550100'],
    [' +1 (202) 555-0100 ', '+12025550100'],
    ['0044 7700 900123', '+447700900123'],
    ['12345', '12345'],
    ['2025550100', '2025550100'],
    ['Acme', 'Acme'],
    [SERVICE, SERVICE],
    ['whatsapp:+12025550100', 'whatsapp:+12025550100'],
  ])('%j is compared as %j', (address, canonical) => {
    expect(canonicalAddress(address)).toBe(canonical);
  });
});

describe('providerSenders', () => {
  it('names each provider by what the number sees', () => {
    expect(providerSenders(twilio('+15005550006'), smpp('447700900123', 1))).toEqual({
      simulated: 'simulated',
      twilio: '+15005550006',
      smpp: '+447700900123',
    });
  });

  it('takes the Messaging Service when Twilio sends through one, and national SMPP addresses as they are', () => {
    expect(providerSenders(twilio(null, SERVICE), smpp('12345', 2))).toMatchObject({
      twilio: SERVICE,
      smpp: '12345',
    });
  });

  it('names a provider that is not configured by itself', () => {
    expect(providerSenders(twilioConfig(), { settings: null })).toMatchObject({
      twilio: 'twilio',
      smpp: 'smpp',
    });
  });
});

describe('isMessagingService', () => {
  it.each([
    [SERVICE, true],
    ['+15005550006', false],
    ['MGshop', false],
  ])('%j: %p', (sender, expected) => expect(isMessagingService(sender)).toBe(expected));
});

describe('isProviderOptOut', () => {
  it.each([
    [{ category: 'opted_out', code: '21610' }, true],
    [{ category: 'opted_out', code: 'SIM_OPTED_OUT' }, true],
    [{ category: 'opted_out', code: 'SUPPRESSED' }, false],
    [{ category: 'invalid_number', code: '21211' }, false],
    [null, false],
  ] as const)('%j: %p', (error, expected) => expect(isProviderOptOut(error)).toBe(expected));
});
