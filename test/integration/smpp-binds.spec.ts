// SmppBinds against a minimal SMSC written here on the `smpp` package's server: binding, the window,
// the response timeout, lost connections, reconnects, refusals, deliver_sm and closing.
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { SmppSettings } from '../../src/config/configuration';
import { smppSettings } from '../factories/smpp-settings';
import { DELIVERING_MAX } from '../../src/sms/smpp/smpp-bind';
import { SmppBinds, type SubmitOutcome } from '../../src/sms/smpp/smpp-binds';
import type { DeliverSm, SmppPdu, SubmitSmFields } from '../../src/sms/smpp/smpp-session';

interface ServerSession {
  socket: { destroy(): void };
  send(pdu: SmppPdu): boolean;
  deliver_sm(fields: object, onResponse: (pdu: SmppPdu) => void): boolean;
  unbind(onResponse: (pdu: SmppPdu) => void): boolean;
  submit_sm(fields: object, onResponse: (pdu: SmppPdu) => void): boolean;
  on(event: 'pdu', listener: (pdu: SmppPdu) => void): void;
  on(event: 'error' | 'close', listener: () => void): void;
}
interface SmppServerPackage {
  createServer(options: object, listener: (session: ServerSession) => void): NetServer;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package has no types
const smpp = require('smpp') as SmppServerPackage;

const ESME_RINVPASWD = 0x0e;
const ESME_RX_T_APPN = 0x64;

/** The SMSC's side: what it received, and how it answers. */
class TestSmsc {
  readonly binds: SmppPdu[] = [];
  readonly submits: SmppPdu[] = [];
  readonly unbinds: SmppPdu[] = [];
  readonly nacks: SmppPdu[] = [];
  /** submit_sm written to it and not answered yet, per connection. */
  readonly held: Array<{ session: ServerSession; pdu: SmppPdu }> = [];
  readonly sessions = new Set<ServerSession>();
  bindStatus = 0;
  /** Answer submit_sm after this many ms; null holds them until answerHeld(). */
  answerAfterMs: number | null = 5;
  answerEnquireLinks = true;
  maxOpenPerSession = 0;
  private readonly open = new Map<ServerSession, number>();
  private server: NetServer;

  /** `options` go to net.Server: `allowHalfOpen` keeps writing after Salvo's side ended. */
  static async start(port = 0, options: object = {}): Promise<TestSmsc> {
    const smsc = new TestSmsc();
    await smsc.listen(port, options);
    return smsc;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async listen(port: number, options: object = {}): Promise<void> {
    this.server = smpp.createServer(options, (session) => this.accept(session));
    await new Promise<void>((done) => this.server.listen(port, '127.0.0.1', done));
  }

  /** Answers the held submit_sm, only those of `on` when given. */
  answerHeld(messageId: (pdu: SmppPdu) => string, on?: ServerSession): void {
    const answered = this.held.filter(({ session }) => !on || session === on);
    this.held.splice(0, this.held.length, ...this.held.filter((h) => !answered.includes(h)));
    for (const { session, pdu } of answered) this.answer(session, pdu, messageId(pdu));
  }

  /** Drops every connection and stops listening. */
  async stop(): Promise<void> {
    for (const session of this.sessions) session.socket.destroy();
    await new Promise((done) => this.server.close(done));
  }

  private accept(session: ServerSession): void {
    this.sessions.add(session);
    this.open.set(session, 0);
    session.on('error', () => undefined);
    session.on('close', () => this.sessions.delete(session));
    session.on('pdu', (pdu) => this.onPdu(session, pdu));
  }

  private onPdu(session: ServerSession, pdu: SmppPdu): void {
    switch (pdu.command) {
      case 'bind_transceiver':
        this.binds.push(pdu);
        session.send(pdu.response({ command_status: this.bindStatus }));
        return;
      case 'enquire_link':
        if (this.answerEnquireLinks) session.send(pdu.response());
        return;
      case 'unbind':
        this.unbinds.push(pdu);
        session.send(pdu.response());
        return;
      case 'generic_nack':
        this.nacks.push(pdu);
        return;
      case 'submit_sm': {
        this.submits.push(pdu);
        const open = (this.open.get(session) ?? 0) + 1;
        this.open.set(session, open);
        this.maxOpenPerSession = Math.max(this.maxOpenPerSession, open);
        if (this.answerAfterMs === null) this.held.push({ session, pdu });
        else {
          const delay = this.answerAfterMs;
          setTimeout(() => this.answer(session, pdu, `id-${pdu.sequence_number}`), delay);
        }
        return;
      }
    }
  }

  private answer(session: ServerSession, pdu: SmppPdu, messageId: string): void {
    this.open.set(session, (this.open.get(session) ?? 1) - 1);
    session.send(pdu.response({ message_id: messageId }));
  }
}

function settings(port: number, overrides: Partial<SmppSettings> = {}): SmppSettings {
  return smppSettings(port, {
    systemType: 'bulk',
    window: 5,
    enquireLinkMs: 5_000,
    responseTimeoutMs: 300,
    ...overrides,
  });
}

function fields(text = 'hello'): SubmitSmFields {
  return {
    source_addr: 'Salvo',
    source_addr_ton: 5,
    source_addr_npi: 0,
    destination_addr: '447700900123',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    esm_class: 0,
    registered_delivery: 1,
    data_coding: 0,
    short_message: Buffer.from(text),
    validity_period: undefined,
  };
}

const soon = (ms = 2_000) => ({ waitUntil: Date.now() + ms });
const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function until(probe: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('the condition was not met in time');
    await new Promise((done) => setTimeout(done, 10));
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const smsc = await TestSmsc.start();
  const { port } = smsc;
  await smsc.stop();
  return port;
}

describe('SmppBinds against an SMSC', () => {
  let smsc: TestSmsc | undefined;
  let binds: SmppBinds | undefined;
  let onDeliver: jest.Mock<Promise<number>, [DeliverSm]>;

  const startBinds = (overrides: Partial<SmppSettings> = {}): SmppBinds => {
    binds = new SmppBinds(settings(smsc?.port ?? 1, overrides), onDeliver, quietLogger);
    binds.start();
    return binds;
  };

  /** A bound pool with one submit written and held unanswered by the SMSC. */
  const heldSubmit = async () => {
    const pool = startBinds();
    await until(() => pool.bound() === 1);
    const [session] = smsc!.sessions;
    smsc!.answerAfterMs = null;
    const inFlight = pool.submit(fields(), soon());
    await until(() => smsc!.held.length === 1);
    return { pool, session, inFlight };
  };

  beforeEach(async () => {
    onDeliver = jest.fn((_pdu: DeliverSm) => Promise.resolve(0));
    smsc = await TestSmsc.start();
  });

  afterEach(async () => {
    await binds?.close();
    await smsc?.stop();
    binds = undefined;
  });

  it('binds as a transceiver with SMPP 3.4 and the credentials', async () => {
    const pool = startBinds();
    await until(() => pool.bound() === 1);
    expect(smsc!.binds[0]).toMatchObject({
      system_id: 'salvo',
      password: 'secret',
      system_type: 'bulk',
      interface_version: 0x34,
    });
  });

  it('never has more than the window unanswered at the SMSC, and answers every submit', async () => {
    smsc!.answerAfterMs = 20;
    const pool = startBinds({ binds: 2, window: 5 });
    await until(() => pool.bound() === 2);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => pool.submit(fields(`m${i}`), soon(10_000))),
    );
    // At most the window; more than one shows the submits were pipelined, not sent one by one.
    expect(smsc!.maxOpenPerSession).toBeLessThanOrEqual(5);
    expect(smsc!.maxOpenPerSession).toBeGreaterThan(1);
    expect(smsc!.submits).toHaveLength(50);
    for (const outcome of outcomes) {
      expect(outcome).toEqual({
        kind: 'answered',
        commandStatus: 0,
        messageId: expect.stringMatching(/^id-\d+$/),
      });
    }
  });

  it('answers unknown after the response timeout, frees the place and ignores the late answer', async () => {
    smsc!.answerAfterMs = null;
    const pool = startBinds({ window: 1 });
    await until(() => pool.bound() === 1);
    const first = pool.submit(fields('first'), soon());
    const second = pool.submit(fields('second'), soon());
    await expect(first).resolves.toEqual({ kind: 'unknown', reason: 'timeout' });
    await until(() => smsc!.submits.length === 2);
    smsc!.answerHeld((pdu) => `id-of-${(pdu.short_message as { message: string }).message}`);
    await expect(second).resolves.toEqual({
      kind: 'answered',
      commandStatus: 0,
      messageId: 'id-of-second',
    });
  });

  it('answers unknown for every unanswered submit when the connection drops', async () => {
    smsc!.answerAfterMs = null;
    const pool = startBinds({ responseTimeoutMs: 5_000 });
    await until(() => pool.bound() === 1);
    const outcomes = [1, 2, 3].map(() => pool.submit(fields(), soon()));
    await until(() => smsc!.submits.length === 3);
    for (const session of smsc!.sessions) session.socket.destroy();
    await expect(Promise.all(outcomes)).resolves.toEqual(
      Array(3).fill({ kind: 'unknown', reason: 'connection-lost' }),
    );
  });

  it('answers unwritten not-bound at waitUntil while the SMSC is down, without crashing', async () => {
    const port = await closedPort();
    binds = new SmppBinds(settings(port), onDeliver, quietLogger);
    binds.start();
    binds.start();
    const outcome: SubmitOutcome = await binds.submit(fields(), soon(400));
    expect(outcome).toEqual({ kind: 'unwritten', reason: 'not-bound' });
    expect(binds.bound()).toBe(0);
    expect(binds.refusal()).toBeNull();
  });

  it('rebinds by itself when the SMSC comes back', async () => {
    const pool = startBinds();
    await until(() => pool.bound() === 1);
    const port = smsc!.port;
    await smsc!.stop();
    await until(() => pool.bound() === 0);
    smsc = await TestSmsc.start(port);
    await until(() => pool.bound() === 1, 5_000);
    await expect(pool.submit(fields(), soon())).resolves.toMatchObject({
      kind: 'answered',
      commandStatus: 0,
    });
  });

  it('reports a refused bind, keeps trying, and clears the refusal once bound', async () => {
    smsc!.bindStatus = ESME_RINVPASWD;
    const pool = startBinds();
    await until(() => smsc!.binds.length >= 2);
    expect(pool.refusal()).toMatchObject({ commandStatus: ESME_RINVPASWD });
    await expect(pool.submit(fields(), soon(100))).resolves.toEqual({
      kind: 'unwritten',
      reason: 'not-bound',
      refusal: { commandStatus: ESME_RINVPASWD },
    });
    smsc!.bindStatus = 0;
    await until(() => pool.bound() === 1, 5_000);
    expect(pool.refusal()).toBeNull();
  });

  it('answers the SMSC unbind and binds again', async () => {
    const pool = startBinds();
    await until(() => pool.bound() === 1);
    const [session] = smsc!.sessions;
    const answer = await new Promise<SmppPdu>((done) => session.unbind(done));
    expect(answer.command).toBe('unbind_resp');
    await until(() => smsc!.binds.length === 2 && pool.bound() === 1);
  });

  it("does not settle the next session's submit with a late answer on the dropped one (same sequence number)", async () => {
    await smsc!.stop();
    smsc = await TestSmsc.start(0, { allowHalfOpen: true });
    smsc.answerAfterMs = null;
    const pool = startBinds({ responseTimeoutMs: 5_000 });
    await until(() => pool.bound() === 1);
    const old = pool.submit(fields('old'), soon());
    await until(() => smsc!.held.length === 1);
    const [first] = smsc.sessions;
    first.unbind(() => undefined);
    await expect(old).resolves.toEqual({ kind: 'unknown', reason: 'connection-lost' });
    await until(() => smsc!.binds.length === 2 && pool.bound() === 1);
    const next = pool.submit(fields('new'), soon());
    await until(() => smsc!.held.length === 2);
    const messageId = (pdu: SmppPdu) =>
      `id-of-${(pdu.short_message as { message: string }).message}`;
    // The unbound connection is only half-closed by Salvo: the SMSC can still answer on it.
    smsc.answerHeld(messageId, first);
    await new Promise((done) => setTimeout(done, 200));
    smsc.answerHeld(messageId);
    await expect(next).resolves.toEqual({
      kind: 'answered',
      commandStatus: 0,
      messageId: 'id-of-new',
    });
  });

  it('drops a link whose enquire_link goes unanswered, and binds again', async () => {
    smsc!.answerEnquireLinks = false;
    const pool = startBinds({ enquireLinkMs: 100, responseTimeoutMs: 150 });
    await until(() => smsc!.binds.length >= 2);
    expect(pool.bound()).toBeLessThanOrEqual(1);
  });

  it("answers deliver_sm with the handler's status, and ESME_RX_T_APPN when it throws", async () => {
    const pool = startBinds();
    await until(() => pool.bound() === 1);
    const [session] = smsc!.sessions;
    const deliver = () =>
      new Promise<SmppPdu>((done) =>
        session.deliver_sm(
          {
            source_addr: '447700900123',
            destination_addr: 'Salvo',
            esm_class: 0x04,
            short_message: 'id:abc123 sub:001 dlvrd:001 stat:DELIVRD err:000',
            receipted_message_id: 'abc123',
            message_state: 2,
          },
          done,
        ),
      );
    onDeliver.mockResolvedValueOnce(0);
    await expect(deliver()).resolves.toMatchObject({ command_status: 0 });
    expect(onDeliver.mock.calls[0][0]).toMatchObject({
      command: 'deliver_sm',
      source_addr: '447700900123',
      esm_class: 0x04,
      receipted_message_id: 'abc123',
      message_state: 2,
      short_message: { message: 'id:abc123 sub:001 dlvrd:001 stat:DELIVRD err:000' },
    });
    onDeliver.mockRejectedValueOnce(new Error('database down'));
    await expect(deliver()).resolves.toMatchObject({ command_status: ESME_RX_T_APPN });
  });

  it('refuses a PDU it cannot read without dropping the link or what is in flight on it', async () => {
    const pool = startBinds();
    await until(() => pool.bound() === 1);
    const [session] = smsc!.sessions;
    const answers: SmppPdu[] = [];
    session.on('pdu', (pdu) => pdu.isResponse() && answers.push(pdu));
    smsc!.answerAfterMs = null;
    const inFlight = pool.submit(fields(), soon());
    await until(() => smsc!.held.length === 1);

    // A receipt whose message_state TLV says length 0 at the very end: the package cannot parse it.
    const body = Buffer.concat([
      Buffer.from([0, 1, 1, ...Buffer.from('447700900123\0'), 5, 0, ...Buffer.from('Salvo\0')]),
      Buffer.from([0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from([0x04, 0x27, 0x00, 0x00]),
    ]);
    const header = Buffer.alloc(16);
    header.writeUInt32BE(16 + body.length, 0);
    header.writeUInt32BE(0x00000005, 4);
    header.writeUInt32BE(77, 12);
    (session.socket as unknown as NodeJS.WritableStream).write(Buffer.concat([header, body]));
    // Too short to hold a header: a generic_nack, and the stream stays in step.
    const short = Buffer.alloc(12);
    short.writeUInt32BE(12, 0);
    short.writeUInt32BE(0x00000015, 4);
    (session.socket as unknown as NodeJS.WritableStream).write(short);

    await until(() => answers.length === 2);
    expect(answers[0]).toMatchObject({
      command: 'deliver_sm_resp',
      sequence_number: 77,
      command_status: 0x65,
    });
    expect(answers[1]).toMatchObject({ command: 'generic_nack', command_status: 0x02 });
    expect(onDeliver).not.toHaveBeenCalled();
    // Still the same link: the submit written before is answered, not left unknown.
    smsc!.answerHeld(() => 'after-garbage');
    await expect(inFlight).resolves.toEqual({
      kind: 'answered',
      commandStatus: 0,
      messageId: 'after-garbage',
    });
    expect(smsc!.binds).toHaveLength(1);
  });

  it.each([0, 4])(
    'drops a link whose next PDU says command_length %i (nothing after it can be framed) and binds again',
    async (length) => {
      const { pool, session, inFlight } = await heldSubmit();
      const unframed = Buffer.alloc(16);
      unframed.writeUInt32BE(length, 0);
      unframed.writeUInt32BE(0x00000015, 4);
      (session.socket as unknown as NodeJS.WritableStream).write(unframed);

      await expect(inFlight).resolves.toEqual({ kind: 'unknown', reason: 'connection-lost' });
      await until(() => smsc!.binds.length === 2 && pool.bound() === 1);
    },
  );

  it('leaves a submit answered by a response of another command to time out, its outcome unknown', async () => {
    const { session, inFlight } = await heldSubmit();
    // A response whose command SMPP does not have, with the submit's sequence number and a
    // status that would read as throttling (so a retry would send the message again).
    const stray = Buffer.alloc(16);
    stray.writeUInt32BE(16, 0);
    stray.writeUInt32BE(0x80000099, 4);
    stray.writeUInt32BE(0x58, 8);
    stray.writeUInt32BE(smsc!.held[0].pdu.sequence_number, 12);
    (session.socket as unknown as NodeJS.WritableStream).write(stray);

    await expect(inFlight).resolves.toEqual({ kind: 'unknown', reason: 'timeout' });
  });

  it('takes a deliver_sm with a message_payload over 16 KB (SMPP 3.4 allows 64 KB) on the same link', async () => {
    const pool = startBinds();
    await until(() => pool.bound() === 1);
    const [session] = smsc!.sessions;
    const text = 'x'.repeat(20_000);
    const answer = await new Promise<SmppPdu>((done) =>
      session.deliver_sm(
        {
          source_addr: '447700900123',
          destination_addr: 'Salvo',
          data_coding: 0x04,
          message_payload: Buffer.from(text),
        },
        done,
      ),
    );

    expect(answer.command_status).toBe(0);
    expect(onDeliver.mock.calls[0][0].message_payload?.message).toEqual(Buffer.from(text));
    expect(smsc!.binds).toHaveLength(1);
  });

  it('stores at most DELIVERING_MAX deliver_sm at once, asking the SMSC to send the rest later', async () => {
    const pool = startBinds();
    await until(() => pool.bound() === 1);
    const [session] = smsc!.sessions;
    let release: () => void = () => undefined;
    const stored = new Promise<number>((done) => (release = () => done(0)));
    onDeliver.mockImplementation(() => stored);
    const answers = Array.from(
      { length: DELIVERING_MAX + 10 },
      (_, i) =>
        new Promise<SmppPdu>((done) =>
          session.deliver_sm(
            { source_addr: '447700900123', destination_addr: 'Salvo', short_message: `mo ${i}` },
            done,
          ),
        ),
    );
    // The ten beyond the bound are answered at once, before anything is stored.
    const early = await Promise.race([
      Promise.all(answers.slice(DELIVERING_MAX)),
      new Promise<null>((done) => setTimeout(() => done(null), 2_000)),
    ]);
    expect(early?.map((a) => a.command_status)).toEqual(Array(10).fill(ESME_RX_T_APPN));
    expect(onDeliver).toHaveBeenCalledTimes(DELIVERING_MAX);
    release();
    const first = await Promise.all(answers.slice(0, DELIVERING_MAX));
    expect(first.every((a) => a.command_status === 0)).toBe(true);
  });

  it('answers a request it does not take with generic_nack', async () => {
    const pool = startBinds();
    await until(() => pool.bound() === 1);
    const [session] = smsc!.sessions;
    const answer = await new Promise<SmppPdu>((done) =>
      session.submit_sm({ destination_addr: '1', short_message: 'x' }, done),
    );
    expect(answer).toMatchObject({ command: 'generic_nack', command_status: 0x03 });
  });

  it('close() waits for written submits, unbinds and does not reconnect, however often called', async () => {
    smsc!.answerAfterMs = 100;
    const pool = startBinds();
    await until(() => pool.bound() === 1);
    const written = pool.submit(fields(), soon());
    const closed = pool.close();
    await expect(pool.submit(fields(), soon())).resolves.toEqual({
      kind: 'unwritten',
      reason: 'closing',
    });
    await pool.close();
    // The second close() ended with the first: the submit was answered and the unbind sent.
    expect(smsc!.unbinds).toHaveLength(1);
    await expect(written).resolves.toMatchObject({ kind: 'answered', commandStatus: 0 });
    await closed;
    await new Promise((done) => setTimeout(done, 600));
    expect(smsc!.binds).toHaveLength(1);
    expect(pool.bound()).toBe(0);
  });

  it('answers closing to submits waiting for room when closed, and aborted when their signal aborts', async () => {
    smsc!.answerAfterMs = null;
    const pool = startBinds({ window: 1, responseTimeoutMs: 500 });
    await until(() => pool.bound() === 1);
    const written = pool.submit(fields('written'), soon());
    const controller = new AbortController();
    const aborted = pool.submit(fields('aborted'), { ...soon(), signal: controller.signal });
    const waiting = pool.submit(fields('waiting'), soon());
    controller.abort();
    await expect(aborted).resolves.toEqual({ kind: 'unwritten', reason: 'aborted' });
    const closed = pool.close();
    await expect(waiting).resolves.toEqual({ kind: 'unwritten', reason: 'closing' });
    await expect(written).resolves.toEqual({ kind: 'unknown', reason: 'timeout' });
    await closed;
    expect(smsc!.submits.map((pdu) => (pdu.short_message as { message: string }).message)).toEqual([
      'written',
    ]);
  });
});
