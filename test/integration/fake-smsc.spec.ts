// The fake SMSC as the SMPP adapter's tests rely on it, driven by a plain `smpp` client speaking
// SMPP 3.4: what it answers, what it records, the receipts and MOs it sends, and how it goes away.
import { freePort } from '../support/free-port';
import { FakeSmsc, STATUS, smpp, type SmppPdu, type SmppSession } from '../support/fake-smsc';

let smsc: FakeSmsc;
const clients: SmppSession[] = [];

beforeEach(async () => {
  smsc = await FakeSmsc.start();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await smsc.stop();
  expect(smsc.failures).toEqual([]);
});

/**
 * A connected client; every PDU it receives is kept in `received`, in order. It answers every
 * deliver_sm at once, with the next status of `deliverAnswers` (OK when empty).
 */
async function connect(url = smsc.url) {
  const client = smpp.connect({ url });
  clients.push(client);
  const received: SmppPdu[] = [];
  const deliverAnswers: number[] = [];
  client.on('pdu', (pdu: SmppPdu) => received.push(pdu));
  client.on('deliver_sm', (pdu: SmppPdu) =>
    client.send(pdu.response({ command_status: deliverAnswers.shift() ?? STATUS.ESME_ROK })),
  );
  const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  // A reset by the fake is part of several tests; the `closed` promise reports it.
  client.on('error', () => undefined);
  return { client, received, closed, deliverAnswers };
}

function call(client: SmppSession, command: string, fields: Record<string, unknown> = {}) {
  return new Promise<SmppPdu>((resolve) => {
    (client[command] as (f: object, cb: (pdu: SmppPdu) => void) => void).call(
      client,
      fields,
      resolve,
    );
  });
}

async function bound(fields: Record<string, unknown> = {}, command = 'bind_transceiver') {
  const connection = await connect();
  const resp = await call(connection.client, command, {
    system_id: 'salvo',
    password: 'secret',
    system_type: 'SALVO',
    interface_version: 0x34,
    ...fields,
  });
  expect(resp.command_status).toBe(STATUS.ESME_ROK);
  return connection;
}

function submit(client: SmppSession, fields: Record<string, unknown> = {}) {
  return call(client, 'submit_sm', {
    source_addr_ton: 5,
    source_addr_npi: 0,
    source_addr: 'Salvo',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '447700900001',
    data_coding: 0,
    short_message: 'Hello',
    ...fields,
  });
}

const receiptsOf = (received: SmppPdu[]) =>
  received.filter((pdu) => pdu.command === 'deliver_sm' && pdu.esm_class === 0x04);

const textOf = (pdu: SmppPdu) => (pdu.short_message as { message: string }).message;

describe('binds', () => {
  it('binds with the right credentials and records the bind', async () => {
    const { client } = await connect();
    const resp = await call(client, 'bind_transceiver', {
      system_id: 'salvo',
      password: 'secret',
      system_type: 'SALVO',
      interface_version: 0x34,
    });

    expect(resp.command_status).toBe(STATUS.ESME_ROK);
    expect(resp.sc_interface_version).toBe(0x34);
    expect(smsc.sessions).toBe(1);
    expect(smsc.binds).toEqual([
      expect.objectContaining({
        command: 'bind_transceiver',
        systemId: 'salvo',
        password: 'secret',
        systemType: 'SALVO',
        interfaceVersion: 0x34,
        status: STATUS.ESME_ROK,
      }),
    ]);
  });

  it.each([
    ['a wrong password', { password: 'wrong' }, STATUS.ESME_RINVPASWD],
    ['an unknown system id', { system_id: 'stranger' }, STATUS.ESME_RINVSYSID],
  ])('refuses %s', async (_, fields, status) => {
    const { client } = await connect();
    const resp = await call(client, 'bind_transmitter', {
      system_id: 'salvo',
      password: 'secret',
      interface_version: 0x34,
      ...fields,
    });

    expect(resp.command_status).toBe(status);
    expect(smsc.sessions).toBe(0);
    expect(smsc.binds[0].status).toBe(status);
  });

  it('refuses every bind with the status it is told, and takes them again when told', async () => {
    smsc.set({ refuseBinds: STATUS.ESME_RBINDFAIL });
    const { client } = await connect();
    const fields = { system_id: 'salvo', password: 'secret', interface_version: 0x34 };

    expect((await call(client, 'bind_transceiver', fields)).command_status).toBe(
      STATUS.ESME_RBINDFAIL,
    );
    smsc.set({ refuseBinds: null });
    expect((await call(client, 'bind_transceiver', fields)).command_status).toBe(STATUS.ESME_ROK);
  });

  it('answers submit_sm before a bind, and on a receiver bind, with ESME_RINVBNDSTS', async () => {
    const unbound = await connect();
    const receiver = await bound({}, 'bind_receiver');

    expect((await submit(unbound.client)).command_status).toBe(STATUS.ESME_RINVBNDSTS);
    expect((await submit(receiver.client)).command_status).toBe(STATUS.ESME_RINVBNDSTS);
    expect(smsc.submits.map((s) => s.status)).toEqual([
      STATUS.ESME_RINVBNDSTS,
      STATUS.ESME_RINVBNDSTS,
    ]);
    expect(smsc.accepted()).toEqual([]);
  });
});

describe('other PDUs', () => {
  it('answers enquire_link, and generic_nack to a command it does not know', async () => {
    const { client, received } = await connect();
    expect((await call(client, 'enquire_link')).command).toBe('enquire_link_resp');

    // command_id 0x00000999 with sequence_number 77: no such command in SMPP.
    const header = Buffer.alloc(16);
    header.writeUInt32BE(16, 0);
    header.writeUInt32BE(0x999, 4);
    header.writeUInt32BE(77, 12);
    client.socket.write(header);

    const nack = await smsc.waitFor('generic_nack', () =>
      received.find((pdu) => pdu.command === 'generic_nack'),
    );
    expect(nack).toMatchObject({ sequence_number: 77, command_status: STATUS.ESME_RINVCMDID });
  });

  it('records a PDU it cannot read as a failure, refuses it and keeps reading', async () => {
    const { client, received } = await connect();
    // A submit_sm too short to hold its header (command_length 12), sequence_number unread.
    const short = Buffer.alloc(12);
    short.writeUInt32BE(12, 0);
    short.writeUInt32BE(0x00000004, 4);
    client.socket.write(short);

    const nack = await smsc.waitFor('generic_nack', () =>
      received.find((pdu) => pdu.command === 'generic_nack'),
    );
    expect(nack).toMatchObject({ command_status: 0x02 });
    expect((await call(client, 'enquire_link')).command).toBe('enquire_link_resp');
    expect(smsc.failures.splice(0).map((failure) => failure.message)).toEqual([
      'the client sent a PDU that could not be read (command_id 0x4, sequence 0)',
    ]);
  });

  it('answers unbind with unbind_resp and closes the connection', async () => {
    const { client, closed } = await bound();

    expect((await call(client, 'unbind')).command).toBe('unbind_resp');
    await closed;
    expect(smsc.sessions).toBe(0);
  });
});

describe('submit_sm', () => {
  it('records the fields, the raw bytes and the GSM text, and answers a hex message id', async () => {
    const { client } = await bound();
    const resp = await submit(client, {
      short_message: '@£€',
      registered_delivery: 1,
      validity_period: '000000010000000R',
    });

    expect(resp.message_id).toMatch(/^0[0-9a-f]{9}$/);
    expect(smsc.submits).toEqual([
      expect.objectContaining({
        session: 0,
        sequence_number: resp.sequence_number,
        source_addr: 'Salvo',
        source_addr_ton: 5,
        source_addr_npi: 0,
        destination_addr: '447700900001',
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        data_coding: 0,
        esm_class: 0,
        registered_delivery: 1,
        validity_period: '000000010000000R',
        short_message: Buffer.from([0x00, 0x01, 0x1b, 0x65]),
        concat: null,
        text: '@£€',
        status: STATUS.ESME_ROK,
        messageId: resp.message_id,
      }),
    ]);
  });

  it('parses the concatenation UDH and decodes UCS-2 after it', async () => {
    const { client } = await bound();
    const udh = Buffer.from([0x05, 0x00, 0x03, 0xa7, 0x02, 0x02]);
    await submit(client, { data_coding: 8, short_message: { udh, message: 'Привет, 世界' } });

    const [record] = smsc.submits;
    expect(record.esm_class & 0x40).toBe(0x40);
    expect(record.concat).toEqual({ reference: 0xa7, total: 2, part: 2 });
    expect(record.text).toBe('Привет, 世界');
    expect(record.short_message.subarray(0, 6)).toEqual(udh);
  });

  it('reads the text from message_payload and a 16-bit concatenation reference', async () => {
    const { client } = await bound();
    const udh = Buffer.from([0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x01]);
    await submit(client, {
      esm_class: 0x40,
      short_message: Buffer.alloc(0),
      message_payload: Buffer.concat([udh, Buffer.from('Hi there')]),
    });

    const [record] = smsc.submits;
    expect(record.concat).toEqual({ reference: 0x1234, total: 3, part: 1 });
    expect(record.text).toBe('Hi there');
  });

  it('gives unique ids, decimal when told', async () => {
    const { client } = await bound();
    const hex = await Promise.all([submit(client), submit(client)]);
    smsc.set({ idFormat: 'decimal' });
    const decimal = await submit(client);

    expect(new Set(hex.map((r) => r.message_id)).size).toBe(2);
    expect(decimal.message_id).toMatch(/^[1-9]\d*$/);
  });

  it('answers after ackDelayMs', async () => {
    smsc.set({ ackDelayMs: 150 });
    const { client } = await bound();
    const started = performance.now();
    await submit(client);

    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    const [record] = smsc.submits;
    expect(record.answeredAt! - record.at).toBeGreaterThanOrEqual(145);
  });

  it('holds answers while respond is false, and sends them when asked', async () => {
    smsc.set({ respond: false });
    const { client, received } = await bound();
    const answer = submit(client);
    await smsc.waitFor('the submit', () => smsc.submits.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.filter((pdu) => pdu.command === 'submit_sm_resp')).toEqual([]);

    smsc.answerHeld();
    expect((await answer).command_status).toBe(STATUS.ESME_ROK);
  });

  it('answers a submit beyond the window ESME_RTHROTTLED at once', async () => {
    smsc.set({ window: 2, ackDelayMs: 300 });
    const { client, received } = await bound();
    const answers = [submit(client), submit(client), submit(client)];
    const third = await answers[2];

    expect(third.command_status).toBe(STATUS.ESME_RTHROTTLED);
    // The throttled answer overtook the two held by the delay.
    expect(received.filter((pdu) => pdu.command === 'submit_sm_resp')).toHaveLength(1);
    expect(smsc.windowViolations).toBe(1);
    expect((await Promise.all(answers)).map((r) => r.command_status)).toEqual([
      STATUS.ESME_ROK,
      STATUS.ESME_ROK,
      STATUS.ESME_RTHROTTLED,
    ]);
    expect(smsc.submits.map((s) => s.status)).toEqual([0, 0, STATUS.ESME_RTHROTTLED]);
  });

  it('throttles beyond maxPerSecond accepted in the last second, across sessions', async () => {
    smsc.set({ maxPerSecond: 3 });
    const [one, two] = [await bound(), await bound()];
    const answers = await Promise.all([
      submit(one.client),
      submit(two.client),
      submit(one.client),
      submit(two.client),
      submit(one.client),
    ]);

    const statuses = answers.map((r) => r.command_status).sort((a, b) => a - b);
    expect(statuses).toEqual([0, 0, 0, STATUS.ESME_RTHROTTLED, STATUS.ESME_RTHROTTLED]);
    expect(smsc.accepted()).toHaveLength(3);
    expect(smsc.maxInAnySecond()).toBe(5);
  });

  it('answers what `answer` returns for a submit', async () => {
    smsc.set({
      answer: (s) => (s.destination_addr === '447700900666' ? STATUS.ESME_RINVDSTADR : undefined),
    });
    const { client } = await bound();
    const refused = await submit(client, { destination_addr: '447700900666' });
    const ok = await submit(client);

    expect(refused.command_status).toBe(STATUS.ESME_RINVDSTADR);
    expect(refused.message_id).toBeUndefined();
    expect(ok.command_status).toBe(STATUS.ESME_ROK);
    expect([...smsc.byDestination().keys()]).toEqual(['447700900001']);
    expect(smsc.byDestination('all').get('447700900666')![0].messageId).toBeNull();
  });
});

describe('receipts', () => {
  const DLR_TEXT =
    /^id:(\w+) sub:001 dlvrd:(\d{3}) submit date:\d{10} done date:\d{10} stat:(\w+) err:(\d{3}) text:(.*)$/;

  it('sends a receipt with TLVs to the submitter, addressed back, only when asked', async () => {
    smsc.set({ receipts: {} });
    const { client, received } = await bound();
    await submit(client, { registered_delivery: 0 });
    const resp = await submit(client, {
      registered_delivery: 1,
      short_message: 'A message longer than twenty characters',
    });

    const [dlr] = await smsc.waitFor(
      'a receipt',
      () => receiptsOf(received)[0] && receiptsOf(received),
    );
    expect(receiptsOf(received)).toHaveLength(1);
    expect(dlr).toMatchObject({
      source_addr: '447700900001',
      source_addr_ton: 1,
      destination_addr: 'Salvo',
      dest_addr_ton: 5,
      receipted_message_id: resp.message_id,
      message_state: smpp.MESSAGE_STATE.DELIVERED,
    });
    expect(textOf(dlr).match(DLR_TEXT)?.slice(1)).toEqual([
      resp.message_id,
      '001',
      'DELIVRD',
      '000',
      'A message longer tha',
    ]);
  });

  it('sends text-only receipts with the stat, err and an id converted to decimal', async () => {
    smsc.set({ receipts: { stat: 'UNDELIV', err: '011', tlvs: false, idBase: 'decimal' } });
    const { client, received } = await bound();
    const resp = await submit(client, { registered_delivery: 1 });

    const [dlr] = await smsc.waitFor(
      'a receipt',
      () => receiptsOf(received)[0] && receiptsOf(received),
    );
    expect(dlr.receipted_message_id).toBeUndefined();
    expect(dlr.message_state).toBeUndefined();
    const [, id, dlvrd, stat, err] = textOf(dlr).match(DLR_TEXT)!;
    expect([id, dlvrd, stat, err]).toEqual([
      BigInt(`0x${String(resp.message_id)}`).toString(10),
      '000',
      'UNDELIV',
      '011',
    ]);
  });

  it('sends each part of a long message its own receipt', async () => {
    smsc.set({ receipts: { stat: (s) => (s.concat?.part === 2 ? 'UNDELIV' : 'DELIVRD') } });
    const { client, received } = await bound();
    const parts = await Promise.all(
      [1, 2].map((part) =>
        submit(client, {
          registered_delivery: 1,
          short_message: { udh: Buffer.from([5, 0, 3, 9, 2, part]), message: `part ${part}` },
        }),
      ),
    );

    await smsc.waitFor('two receipts', () => receiptsOf(received).length === 2);
    const receipts = receiptsOf(received).map((pdu) => [
      pdu.receipted_message_id,
      pdu.message_state,
    ]);
    expect(receipts).toEqual([
      [parts[0].message_id, smpp.MESSAGE_STATE.DELIVERED],
      [parts[1].message_id, smpp.MESSAGE_STATE.UNDELIVERABLE],
    ]);
  });

  it('can send the receipt before the submit_sm_resp', async () => {
    smsc.set({ receipts: { beforeResp: true } });
    const { client, received } = await bound();
    const resp = await submit(client, { registered_delivery: 1 });

    await smsc.waitFor('a receipt', () => receiptsOf(received).length === 1);
    expect(received.map((pdu) => pdu.command)).toEqual([
      'bind_transceiver_resp',
      'deliver_sm',
      'submit_sm_resp',
    ]);
    expect(receiptsOf(received)[0].receipted_message_id).toBe(resp.message_id);
  });

  it('sends one by hand, with a decimal id written in hex, and records the answer', async () => {
    smsc.set({ idFormat: 'decimal' });
    const { client, received } = await bound();
    const resp = await submit(client);

    const status = await smsc.sendReceipt(String(resp.message_id), 'EXPIRED', { idBase: 'hex' });

    const hex = BigInt(String(resp.message_id)).toString(16).toUpperCase();
    const [dlr] = receiptsOf(received);
    expect(dlr.receipted_message_id).toBe(hex);
    expect(dlr.message_state).toBe(smpp.MESSAGE_STATE.EXPIRED);
    expect(textOf(dlr)).toContain(`id:${hex} `);
    expect(status).toBe(STATUS.ESME_ROK);
    expect(smsc.deliverResponses).toEqual([
      expect.objectContaining({ kind: 'receipt', status: STATUS.ESME_ROK }),
    ]);
  });

  it('keeps a receipt until a receiver binds again', async () => {
    const first = await bound();
    await submit(first.client);
    first.client.destroy();
    await first.closed;

    const receipt = smsc.sendReceipt(smsc.submits[0], 'DELIVRD');
    const second = await bound({}, 'bind_receiver');

    expect(await receipt).toBe(STATUS.ESME_ROK);
    expect(receiptsOf(second.received)).toHaveLength(1);
  });
});

describe('mobile-originated messages', () => {
  it('delivers an MO and records the deliver_sm_resp status', async () => {
    const { received, deliverAnswers } = await bound();
    deliverAnswers.push(STATUS.ESME_ROK, STATUS.ESME_RX_T_APPN);

    const first = await smsc.sendMo({ from: '+447700900001', to: '12345', text: 'STOP €' });
    const second = await smsc.sendMo({
      from: '+447700900001',
      to: '12345',
      text: 'Ω 世界',
      ucs2: true,
    });

    expect([first, second]).toEqual([STATUS.ESME_ROK, STATUS.ESME_RX_T_APPN]);
    const mos = received.filter((pdu) => pdu.command === 'deliver_sm');
    expect(mos[0]).toMatchObject({
      esm_class: 0,
      source_addr: '447700900001',
      source_addr_ton: 1,
      destination_addr: '12345',
      data_coding: 0,
    });
    expect(mos.map(textOf)).toEqual(['STOP €', 'Ω 世界']);
    expect(smsc.deliverResponses.map((r) => [r.kind, r.status])).toEqual([
      ['mo', STATUS.ESME_ROK],
      ['mo', STATUS.ESME_RX_T_APPN],
    ]);
  });

  it('refuses an MO when nothing is bound to receive', async () => {
    await bound({}, 'bind_transmitter');
    await expect(smsc.sendMo({ from: '+447700900001', to: '12345', text: 'Hi' })).rejects.toThrow(
      'No session is bound to receive.',
    );
  });
});

describe('going away', () => {
  it('unbinds every session and closes each on its unbind_resp', async () => {
    const sessions = [await bound(), await bound({}, 'bind_receiver')];
    for (const { client } of sessions) {
      client.on('unbind', (pdu: SmppPdu) => client.send(pdu.response()));
    }

    await smsc.unbindAll();

    await Promise.all(sessions.map((s) => s.closed));
    expect(smsc.sessions).toBe(0);
    expect(sessions.map((s) => s.received.at(-1)?.command)).toEqual(['unbind', 'unbind']);
  });

  it('drops every connection without a word and still takes new binds', async () => {
    const { received, closed } = await bound();

    smsc.dropAll();

    await closed;
    expect(received.map((pdu) => pdu.command)).toEqual(['bind_transceiver_resp']);
    await bound();
    expect(smsc.sessions).toBe(1);
  });

  it('stops (refusing connections) and restarts on the same port with its history', async () => {
    const { client, closed } = await bound();
    const before = await submit(client);
    const port = smsc.port;

    await smsc.stop();
    await closed;
    const refused = smpp.connect({ url: smsc.url });
    clients.push(refused);
    await expect(
      new Promise((resolve, reject) => {
        refused.once('connect', resolve);
        refused.once('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await smsc.restart();
    const again = await bound();
    const after = await submit(again.client);

    expect(smsc.port).toBe(port);
    expect(smsc.submits.map((s) => s.messageId)).toEqual([before.message_id, after.message_id]);
    expect(after.message_id).not.toBe(before.message_id);
  });

  it('listens on a port it is given', async () => {
    const port = await freePort();
    const given = await FakeSmsc.start({ port });
    try {
      expect(given.url).toBe(`smpp://127.0.0.1:${port}`);
      const { client } = await connect(given.url);
      const resp = await call(client, 'bind_transceiver', {
        system_id: 'salvo',
        password: 'secret',
      });
      expect(resp.command_status).toBe(STATUS.ESME_ROK);
      expect(given.sessions).toBe(1);
    } finally {
      await given.stop();
    }
  });
});
