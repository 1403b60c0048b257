import { RECEIPT_RANKS } from '../../sms/receipts';
import { messageReceiptOf, type PartState } from './part-receipts';

const RANKS: Record<string, number> = {
  ACCEPTD: RECEIPT_RANKS.accepted,
  ENROUTE: RECEIPT_RANKS.sent,
  DELIVRD: RECEIPT_RANKS.final,
  UNDELIV: RECEIPT_RANKS.final,
  UNKNOWN: RECEIPT_RANKS.final,
};
const OUTCOMES = { DELIVRD: 'delivered', UNDELIV: 'undelivered', UNKNOWN: 'unknown' } as const;
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));

/**
 * Parts of a three-part message written `1:DELIVRD@4 2:- 3:UNDELIV@2`: part number, its receipt's
 * status (or - for none) and the second it came.
 */
function parts(written: string): PartState[] {
  return written.split(' ').map((token) => {
    const [, part, status, second] = /^(\d):([A-Z]+|-)(?:@(\d+))?$/.exec(token)!;
    const given = status !== '-';
    return {
      part: Number(part),
      total: 3,
      status: given ? status : null,
      rank: given ? RANKS[status] : null,
      outcome: OUTCOMES[status as keyof typeof OUTCOMES] ?? null,
      error:
        status === 'UNDELIV' ? { category: 'unreachable', code: '001', message: 'Absent.' } : null,
      receivedAt: given ? at(Number(second)) : null,
    };
  });
}

describe('messageReceiptOf', () => {
  it.each([
    ['every part delivered', '1:DELIVRD@1 2:DELIVRD@9 3:DELIVRD@3', 'DELIVRD delivered @9'],
    ['delivered, in any order', '3:DELIVRD@1 1:DELIVRD@5 2:DELIVRD@2', 'DELIVRD delivered @5'],
    ['one part undelivered, the others not yet', '1:- 2:UNDELIV@2 3:-', 'UNDELIV undelivered @2'],
    [
      'undelivered, the others delivered',
      '1:DELIVRD@1 2:UNDELIV@2 3:DELIVRD@3',
      'UNDELIV undelivered @2',
    ],
    [
      'the first undelivered part of two',
      '1:UNDELIV@7 2:UNDELIV@4 3:DELIVRD@1',
      'UNDELIV undelivered @4',
    ],
    ['every part final, one unknown', '1:DELIVRD@1 2:UNKNOWN@2 3:DELIVRD@8', 'UNKNOWN unknown @8'],
    [
      'an unknown part later delivered',
      '1:DELIVRD@1 2:UNKNOWN@2 2:DELIVRD@6 3:DELIVRD@3',
      'DELIVRD delivered @6',
    ],
    ['a part not yet final', '1:DELIVRD@1 2:ENROUTE@2 3:DELIVRD@3', 'ENROUTE - @2'],
    ['the lowest rank a part reached', '1:ENROUTE@1 2:ACCEPTD@2 3:DELIVRD@3', 'ACCEPTD - @2'],
    [
      'a part sent twice, by its furthest receipt',
      '1:DELIVRD@1 2:ENROUTE@2 2:DELIVRD@6 3:DELIVRD@3',
      'DELIVRD delivered @6',
    ],
    ['a part without a receipt', '1:DELIVRD@1 2:- 3:DELIVRD@3', 'nothing'],
    ['a part missing from the rows', '1:DELIVRD@1 3:DELIVRD@3', 'nothing'],
    ['no receipt at all', '1:- 2:- 3:-', 'nothing'],
  ])('%s: %s → %s', (_, written, expected) => {
    const receipt = messageReceiptOf(parts(written));
    const said = receipt
      ? `${receipt.status} ${receipt.outcome ?? '-'} @${receipt.receivedAt.getUTCSeconds()}`
      : 'nothing';
    expect(said).toBe(expected);
  });

  it("an undelivered message carries its part's error and rank; a message below final none", () => {
    expect(messageReceiptOf(parts('1:DELIVRD@1 2:UNDELIV@2 3:-'))).toEqual({
      status: 'UNDELIV',
      rank: RECEIPT_RANKS.final,
      outcome: 'undelivered',
      error: { category: 'unreachable', code: '001', message: 'Absent.' },
      receivedAt: at(2),
    });
    expect(messageReceiptOf(parts('1:DELIVRD@1 2:ENROUTE@2 3:DELIVRD@3'))).toEqual({
      status: 'ENROUTE',
      rank: RECEIPT_RANKS.sent,
      outcome: null,
      error: null,
      receivedAt: at(2),
    });
  });
});
