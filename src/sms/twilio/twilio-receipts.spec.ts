import { twilioReceipt } from './twilio-receipts';

const at = new Date('2026-11-30T12:00:00.000Z');
const SID = 'SM0123456789abcdef0123456789abcdef';

describe('twilioReceipt', () => {
  it.each<[string, number, 'delivered' | 'undelivered' | null]>([
    ['accepted', 1, null],
    ['scheduled', 1, null],
    ['queued', 1, null],
    ['sending', 1, null],
    ['sent', 2, null],
    ['delivered', 3, 'delivered'],
    ['read', 3, 'delivered'],
    ['undelivered', 3, 'undelivered'],
    ['failed', 3, 'undelivered'],
    ['DELIVERED', 3, 'delivered'],
  ])('ranks %s at %d with outcome %s', (status, rank, outcome) => {
    const receipt = twilioReceipt({ messageSid: SID, messageStatus: status }, at);
    expect(receipt).toMatchObject({
      provider: 'twilio',
      providerMessageId: SID,
      status: status.toLowerCase(),
      rank,
      outcome,
      receivedAt: at,
    });
    if (outcome !== 'undelivered') expect(receipt?.error).toBeNull();
  });

  it.each([
    'canceled',
    'receiving',
    'received',
    'partially_delivered',
    '',
    'constructor',
    'toString',
  ])('ignores %j, which says nothing about delivery', (status) => {
    expect(twilioReceipt({ messageSid: SID, messageStatus: status }, at)).toBeNull();
  });

  it.each<[string, string, string]>([
    ['30001', 'rate_limited', 'Queue overflow: the sender sent too much.'],
    ['30002', 'auth', 'The Twilio account is suspended.'],
    ['30003', 'unreachable', 'The destination handset is unreachable.'],
    ['30004', 'content_rejected', 'The message was blocked.'],
    ['30005', 'invalid_number', 'The destination number is unknown.'],
    ['30006', 'invalid_number', 'The destination is a landline or an unreachable carrier.'],
    ['30007', 'content_rejected', 'The carrier filtered the message.'],
    ['30008', 'unknown', 'Twilio reported an unknown error.'],
    ['30034', 'content_rejected', 'The message came from an unregistered number (US A2P 10DLC).'],
    ['30036', 'timeout', 'The validity period expired before the message could be delivered.'],
    ['30010', 'unknown', 'Twilio error 30010.'],
  ])('an undelivered receipt with ErrorCode %s is %s, code kept', (code, category, message) => {
    const receipt = twilioReceipt(
      { messageSid: SID, messageStatus: 'undelivered', errorCode: code },
      at,
    );
    expect(receipt?.error).toEqual({ category, code, message });
  });

  it("keeps Twilio's ErrorMessage over the default text, bounded", () => {
    const long = `Unreachable ${'x'.repeat(1000)}`;
    const receipt = twilioReceipt(
      { messageSid: SID, messageStatus: 'failed', errorCode: '30003', errorMessage: long },
      at,
    );
    expect(receipt?.outcome).toBe('undelivered');
    expect(receipt?.error?.category).toBe('unreachable');
    expect(receipt?.error?.code).toBe('30003');
    expect(receipt?.error?.message).toBe(long.slice(0, 500));
  });

  it('reports an undelivered receipt without an ErrorCode as unknown', () => {
    expect(twilioReceipt({ messageSid: SID, messageStatus: 'failed' }, at)?.error).toEqual({
      category: 'unknown',
      code: 'TWILIO_FAILED',
      message: 'Twilio reported the message failed without an error code.',
    });
  });

  it('carries no error on a delivered receipt, even with an ErrorCode', () => {
    const receipt = twilioReceipt(
      { messageSid: SID, messageStatus: 'delivered', errorCode: '30003' },
      at,
    );
    expect(receipt?.error).toBeNull();
  });
});
