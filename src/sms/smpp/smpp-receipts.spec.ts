// Checks what Salvo reads from a deliver_sm: receipts by TLV and by text in the forms SMSCs write
// them, message ids across bases, and inbound SMS in each coding.
import type { ErrorCategory } from '../../errors/error-taxonomy';
import { RECEIPT_RANKS, type ProviderReceipt } from '../receipts';
import {
  INBOUND_ADDRESS_LENGTH,
  INBOUND_BODY_LENGTH,
  canonicalMessageId,
  readDeliverSm,
  receiptIdAsSubmitted,
  type DeliverSmView,
  type Delivered,
  type ReceiptIdBase,
} from './smpp-receipts';

const AT = new Date('2026-11-30T12:00:00.000Z');
const RECEIPT = 0x04;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Appendix B's receipt text, its fields replaceable. */
const receiptText = ({ id = '0A1B2C', stat = 'DELIVRD', err = '000' } = {}): string =>
  `id:${id} sub:001 dlvrd:001 submit date:2611301159 done date:2611301200 stat:${stat} err:${err} Text:Hello`;

function receiptOf(delivered: Delivered): ProviderReceipt {
  if (delivered.kind !== 'receipt')
    throw new Error(`expected a receipt, got ${JSON.stringify(delivered)}`);
  return delivered.receipt;
}
const read = (pdu: DeliverSmView, base: ReceiptIdBase = 'same'): ProviderReceipt =>
  receiptOf(readDeliverSm(pdu, base, AT));
const inbound = (pdu: DeliverSmView) => {
  const delivered = readDeliverSm(pdu, 'same', AT);
  if (delivered.kind !== 'inbound')
    throw new Error(`expected an inbound SMS, got ${delivered.kind}`);
  return delivered.message;
};

type Expected = [
  stat: string,
  messageState: number,
  rank: number,
  outcome: ProviderReceipt['outcome'],
  category: ErrorCategory | null,
];
const STATES: Expected[] = [
  ['ENROUTE', 1, RECEIPT_RANKS.sent, null, null],
  ['DELIVRD', 2, RECEIPT_RANKS.final, 'delivered', null],
  ['EXPIRED', 3, RECEIPT_RANKS.final, 'undelivered', 'timeout'],
  ['DELETED', 4, RECEIPT_RANKS.final, 'undelivered', 'unknown'],
  ['UNDELIV', 5, RECEIPT_RANKS.final, 'undelivered', 'unreachable'],
  ['ACCEPTD', 6, RECEIPT_RANKS.accepted, null, null],
  ['UNKNOWN', 7, RECEIPT_RANKS.final, 'unknown', null],
  ['REJECTD', 8, RECEIPT_RANKS.final, 'undelivered', 'content_rejected'],
];

describe('readDeliverSm: receipts', () => {
  it.each(STATES)(
    'reads %s from the message_state TLV (%i)',
    (stat, state, rank, outcome, category) => {
      const receipt = read({
        esm_class: RECEIPT,
        receipted_message_id: '0A1B2C',
        message_state: state,
      });
      expect(receipt).toEqual({
        provider: 'smpp',
        providerMessageId: 'a1b2c',
        status: stat,
        rank,
        outcome,
        error: category && {
          category,
          code: `SMPP_${stat}`,
          message: expect.stringMatching(/\.$/),
        },
        receivedAt: AT,
      });
    },
  );

  it.each(STATES)('reads %s from the receipt text', (stat, _state, rank, outcome, category) => {
    const receipt = read({ esm_class: RECEIPT, short_message: { message: receiptText({ stat }) } });
    expect(receipt).toMatchObject({ providerMessageId: 'a1b2c', status: stat, rank, outcome });
    expect(receipt.error?.category ?? null).toBe(category);
  });

  it('takes the TLVs over the text when both are there', () => {
    const receipt = read({
      esm_class: RECEIPT,
      receipted_message_id: '77',
      message_state: 2,
      short_message: { message: receiptText({ id: '99', stat: 'UNDELIV', err: '011' }) },
    });
    expect(receipt).toMatchObject({ providerMessageId: '77', status: 'DELIVRD', error: null });
  });

  it.each([
    ['an unknown message_state', 0],
    ['a state Salvo has no meaning for (SKIPPED)', 9],
  ])('reads the text when the TLV holds %s', (_case, state) => {
    const text = receiptText({ stat: 'EXPIRED' });
    const receipt = read({ esm_class: RECEIPT, message_state: state, short_message: text });
    expect(receipt.status).toBe('EXPIRED');
  });

  it.each<[string, string, string, string]>([
    ['keys in capitals', 'ID:ABC123 STAT:DELIVRD ERR:000', 'abc123', 'DELIVRD'],
    ['keys in another order', 'stat:UNDELIV err:001 id:4711', '4711', 'UNDELIV'],
    ['spaces around the colons', 'id : 4711   stat :  delivrd', '4711', 'DELIVRD'],
    ['only id and stat', 'id:4711 stat:REJECTD', '4711', 'REJECTD'],
    ['the word written out in full', 'id:4711 stat:DELIVERED', '4711', 'DELIVRD'],
    ['an UNDELIVERABLE', 'id:4711 stat:Undeliverable', '4711', 'UNDELIV'],
    [
      'a text that mentions an id',
      'id:4711 stat:DELIVRD err:000 Text:your id: 99',
      '4711',
      'DELIVRD',
    ],
    ['an id key inside another word', 'msgid:99 id:4711 stat:DELIVRD', '4711', 'DELIVRD'],
    [
      'a uuid id',
      'id:9F1C2D3E-0000-4000-8000-00000000ABCD stat:ACCEPTD',
      '9f1c2d3e-0000-4000-8000-00000000abcd',
      'ACCEPTD',
    ],
    ['commas between fields', 'id:4711,stat:DELIVRD,err:000', '4711', 'DELIVRD'],
  ])('reads text with %s', (_case, text, id, stat) => {
    expect(read({ esm_class: RECEIPT, short_message: text })).toMatchObject({
      providerMessageId: id,
      status: stat,
    });
  });

  it.each<[string, string, string]>([
    ['000', 'SMPP_UNDELIV', 'The SMSC could not deliver the message.'],
    ['0', 'SMPP_UNDELIV', 'The SMSC could not deliver the message.'],
    ['011', 'SMPP_UNDELIV:011', 'The SMSC could not deliver the message (err 011).'],
    ['0x0b', 'SMPP_UNDELIV:0x0b', 'The SMSC could not deliver the message (err 0x0b).'],
  ])('keeps err:%s as written in the error code', (err, code, message) => {
    const receipt = read({
      esm_class: RECEIPT,
      short_message: receiptText({ stat: 'UNDELIV', err }),
    });
    expect(receipt.error).toEqual({ category: 'unreachable', code, message });
  });

  it('keeps the err of a TLV receipt whose text gives one', () => {
    const receipt = read({
      esm_class: RECEIPT,
      receipted_message_id: '1',
      message_state: 8,
      short_message: 'err:042',
    });
    expect(receipt.error?.code).toBe('SMPP_REJECTD:042');
  });

  it.each<[string, DeliverSmView['short_message'], DeliverSmView['message_payload']]>([
    ['a string', receiptText(), undefined],
    ['decoded by the package', { message: receiptText() }, undefined],
    ['raw GSM bytes', Buffer.from(receiptText(), 'latin1'), undefined],
    ['in message_payload', Buffer.alloc(0), { message: receiptText() }],
    ['in a raw message_payload', { message: '' }, Buffer.from(receiptText(), 'latin1')],
  ])('reads receipt text given as %s', (_case, short_message, message_payload) => {
    expect(read({ esm_class: RECEIPT, short_message, message_payload })).toMatchObject({
      providerMessageId: 'a1b2c',
      status: 'DELIVRD',
    });
  });

  it('reads the receipt flag beside other esm_class bits', () => {
    expect(read({ esm_class: 0x80 | RECEIPT, short_message: receiptText() }).status).toBe(
      'DELIVRD',
    );
  });

  it.each<[string, number]>([
    ['an intermediate delivery notification', 0x20],
    ['an SME delivery acknowledgement', 0x08],
  ])('never takes %s as final, whatever its state', (_case, esmClass) => {
    const undelivered = read({
      esm_class: esmClass,
      short_message: receiptText({ stat: 'UNDELIV' }),
    });
    expect(undelivered).toMatchObject({ rank: RECEIPT_RANKS.sent, outcome: null, error: null });
    const accepted = read({ esm_class: esmClass, receipted_message_id: '1', message_state: 6 });
    expect(accepted).toMatchObject({ rank: RECEIPT_RANKS.accepted, status: 'ACCEPTD' });
  });

  it.each<[string, DeliverSmView, RegExp]>([
    ['no text at all', { esm_class: RECEIPT }, /no readable message id/],
    [
      'garbage text',
      { esm_class: RECEIPT, short_message: 'Hello there!' },
      /no readable message id/,
    ],
    [
      'an id with no state',
      { esm_class: RECEIPT, short_message: 'id:4711 err:000' },
      /no message state/,
    ],
    [
      'an unknown stat',
      { esm_class: RECEIPT, short_message: 'id:4711 stat:FOO' },
      /stat "FOO" is no SMPP/,
    ],
    ['a state with no id', { esm_class: RECEIPT, message_state: 2 }, /no readable message id/],
    [
      'a blank TLV id and none in the text',
      { esm_class: RECEIPT, receipted_message_id: '  ', message_state: 2 },
      /no readable message id/,
    ],
    [
      'an id longer than SMPP allows',
      { esm_class: RECEIPT, short_message: `id:${'1'.repeat(66)} stat:DELIVRD` },
      /no readable message id/,
    ],
  ])('finds a receipt with %s malformed', (_case, pdu, reason) => {
    const delivered = readDeliverSm(pdu, 'same', AT);
    expect(delivered).toEqual({ kind: 'malformed', reason: expect.stringMatching(reason) });
  });
});

describe('receipt ids', () => {
  it.each<[string, string]>([
    ['  00AbC12 ', 'abc12'],
    ['0', '0'],
    ['000', '0'],
    ['0012', '12'],
    ['', ''],
  ])('canonicalMessageId(%j) is %j', (id, canonical) => {
    expect(canonicalMessageId(id)).toBe(canonical);
  });

  it.each<[string, ReceiptIdBase, string]>([
    ['00ABCDEF', 'same', 'abcdef'],
    ['255', 'decimal', 'ff'],
    ['000255', 'decimal', 'ff'],
    ['0', 'decimal', '0'],
    ['18446744073709551615', 'decimal', 'ffffffffffffffff'],
    ['FF', 'hex', '255'],
    ['00ff', 'hex', '255'],
    ['0x1F', 'hex', '31'],
    ['ffffffffffffffffff', 'hex', '4722366482869645213695'],
    ['msg-12', 'decimal', 'msg-12'],
    ['0ABC', 'decimal', 'abc'],
    ['xyz', 'hex', 'xyz'],
  ])('receiptIdAsSubmitted(%j, %s) is %j', (id, base, submitted) => {
    expect(receiptIdAsSubmitted(id, base)).toBe(submitted);
  });

  it.each<[ReceiptIdBase, string, string]>([
    ['decimal', '00A1B2C3D4', '2712847316'],
    ['hex', '2712847316', 'A1B2C3D4'],
    ['same', '00A1B2C3D4', 'a1b2c3d4'],
  ])('matches a %s receipt to the id its submit_sm_resp gave', (base, submitted, inReceipt) => {
    const receipt = read(
      { esm_class: RECEIPT, short_message: receiptText({ id: inReceipt }) },
      base,
    );
    expect(receipt.providerMessageId).toBe(canonicalMessageId(submitted));
  });
});

describe('readDeliverSm: inbound SMS', () => {
  const from = {
    source_addr: '447700900123',
    source_addr_ton: 1,
    destination_addr: '+447700900999',
    dest_addr_ton: 1,
  };

  it('reads an SMS the package already decoded', () => {
    expect(inbound({ ...from, data_coding: 0, short_message: { message: 'Hi @ 5€' } })).toEqual({
      provider: 'smpp',
      providerMessageId: expect.stringMatching(UUID_V7),
      from: '+447700900123',
      to: '+447700900999',
      body: 'Hi @ 5€',
      receivedAt: AT,
    });
  });

  it('keeps what the inbound webhook keeps: 4096 characters of text, 128 of an address', () => {
    const sms = inbound({
      source_addr: '4'.repeat(300),
      source_addr_ton: 1,
      destination_addr: 'x'.repeat(300),
      data_coding: 8,
      // A pair that would straddle the cut is left out whole.
      message_payload: { message: 'a'.repeat(INBOUND_BODY_LENGTH - 1) + '😀 and more' },
    });
    expect(sms.from).toBe(`+${'4'.repeat(INBOUND_ADDRESS_LENGTH - 1)}`);
    expect(sms.to).toBe('x'.repeat(INBOUND_ADDRESS_LENGTH));
    expect(sms.body).toBe('a'.repeat(INBOUND_BODY_LENGTH - 1));
  });

  it.each<[string, DeliverSmView, string]>([
    [
      'GSM 03.38 bytes',
      { data_coding: 0, short_message: Buffer.from('486920001b65', 'hex') },
      'Hi @€',
    ],
    [
      'IA5 read as GSM, as the package does',
      { data_coding: 1, short_message: Buffer.from('486900', 'hex') },
      'Hi@',
    ],
    ['Latin-1 bytes', { data_coding: 3, short_message: Buffer.from('436166e9', 'hex') }, 'Café'],
    [
      'UCS-2 bytes',
      { data_coding: 8, short_message: Buffer.from('041f04400438d83dde00', 'hex') },
      'При😀',
    ],
    [
      'UCS-2 bytes the package left in `message`',
      { data_coding: 8, short_message: { message: Buffer.from('0436', 'hex') } },
      'ж',
    ],
    [
      'a message_payload when short_message is empty',
      { data_coding: 0, short_message: { message: '' }, message_payload: { message: 'Long text' } },
      'Long text',
    ],
    [
      'a raw message_payload',
      {
        data_coding: 8,
        short_message: Buffer.alloc(0),
        message_payload: Buffer.from('00680069', 'hex'),
      },
      'hi',
    ],
    [
      'a raw part behind its concatenation header',
      {
        esm_class: 0x40,
        data_coding: 0,
        short_message: Buffer.from('050003070201' + '4869', 'hex'),
      },
      'Hi',
    ],
    ['no text at all', {}, ''],
    ['a NUL PostgreSQL cannot store', { short_message: 'a\u0000b' }, 'a?b'],
  ])('reads %s', (_case, pdu, body) => {
    expect(inbound({ ...from, ...pdu }).body).toBe(body);
  });

  it.each<[string, string | undefined, number | undefined, string]>([
    ['an international number gets its +', '447700900123', 1, '+447700900123'],
    ['a + already there is kept once', '+447700900123', 1, '+447700900123'],
    ['a national number stays as sent', '07700900123', 2, '07700900123'],
    ['an alphanumeric sender stays as sent', 'ACME', 5, 'ACME'],
    ['an unknown TON stays as sent', '447700900123', 0, '447700900123'],
    ['a missing address is empty', undefined, undefined, ''],
  ])('writes addresses: %s', (_case, addr, ton, written) => {
    expect(
      inbound({
        source_addr: addr,
        source_addr_ton: ton,
        destination_addr: addr,
        dest_addr_ton: ton,
      }),
    ).toMatchObject({ from: written, to: written });
  });

  it('gives the same SMS delivered twice two ids, since a deliver_sm carries none', () => {
    const pdu = { ...from, short_message: 'Same text' };
    expect(inbound(pdu).providerMessageId).not.toBe(inbound(pdu).providerMessageId);
  });

  it('takes a PDU without the receipt flag as inbound even when it reads like a receipt', () => {
    expect(inbound({ ...from, esm_class: 0, short_message: receiptText() }).body).toBe(
      receiptText(),
    );
  });
});
