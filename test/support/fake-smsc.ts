// A fake SMSC on loopback for the SMPP adapter's tests, built on the `smpp` package's own server:
// binds with credentials, submit_sm recorded byte for byte, switchable delays, windows, throttling
// and refusals, delivery receipts (also the awkward ones: ids in another base, no TLVs, before the
// submit_sm_resp), mobile-originated messages, and the ways an SMSC goes away.
import { randomInt } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { AddressInfo, Server, Socket } from 'node:net';
import {
  ESME_RINVCMDLEN,
  smppRequest,
  UNREADABLE,
  type SubmitSmFields,
} from '../../src/sms/smpp/smpp-session';
import { waitFor } from './wait';

/** The part of a parsed `smpp` PDU this file and its tests read (fields keep SMPP's names). */
export interface SmppPdu {
  command: string;
  command_status: number;
  sequence_number: number;
  [field: string]: unknown;
  isResponse(): boolean;
  response(fields?: Record<string, unknown>): SmppPdu;
}

/** One SMPP connection of the `smpp` package, on either side. */
export interface SmppSession extends EventEmitter {
  socket: Socket;
  send(pdu: SmppPdu, callback?: (pdu: SmppPdu) => void): boolean;
  close(callback?: () => void): void;
  destroy(callback?: () => void): void;
  /** One method per command (`bind_transceiver`, `submit_sm`, `deliver_sm`, `unbind`…). */
  [command: string]: unknown;
}

/** Sends a request with the session's next sequence number; the callback gets the response. */
type SmppRequest = (fields: Record<string, unknown>, callback?: (pdu: SmppPdu) => void) => boolean;

interface SmppModule {
  createServer(listener: (session: SmppSession) => void): Server;
  connect(options: { url: string }, listener?: () => void): SmppSession;
  MESSAGE_STATE: Record<string, number>;
  gsmCoder: {
    encode(text: string, table: number): Buffer;
    decode(bytes: Buffer, table: number): string;
  };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const smpp = require('smpp') as SmppModule;

/** The command_status values the fake answers with (SMPP 3.4 §5.1.3). */
export const STATUS = {
  ESME_ROK: 0x00,
  ESME_RINVCMDID: 0x03,
  ESME_RINVBNDSTS: 0x04,
  ESME_RALYBND: 0x05,
  ESME_RSYSERR: 0x08,
  ESME_RINVDSTADR: 0x0b,
  ESME_RBINDFAIL: 0x0d,
  ESME_RINVPASWD: 0x0e,
  ESME_RINVSYSID: 0x0f,
  ESME_RMSGQFUL: 0x14,
  ESME_RTHROTTLED: 0x58,
  ESME_RX_T_APPN: 0x64,
} as const;

/** Receipt stat words (SMPP 3.4 Appendix B) and the message_state TLV each maps to. */
const MESSAGE_STATES: Record<string, string> = {
  DELIVRD: 'DELIVERED',
  EXPIRED: 'EXPIRED',
  DELETED: 'DELETED',
  UNDELIV: 'UNDELIVERABLE',
  ACCEPTD: 'ACCEPTED',
  UNKNOWN: 'UNKNOWN',
  REJECTD: 'REJECTED',
  ENROUTE: 'ENROUTE',
};

export type IdBase = 'same' | 'decimal' | 'hex';

export interface ReceiptOptions {
  /** Default DELIVRD. */
  stat?: string | ((submit: SubmitRecord) => string);
  /** The receipt's err field; default 000. */
  err?: string;
  /** After the submit_sm_resp; default 0. */
  delayMs?: number;
  /** receipted_message_id and message_state TLVs besides the text (default true). */
  tlvs?: boolean;
  /**
   * The id written in the receipt (text and TLV): as answered, or converted to decimal, or to hex
   * (upper case, no leading zeros) — what mismatching SMSCs do.
   */
  idBase?: IdBase;
  /** Send the receipt just before the submit_sm_resp (delayMs then does not apply). */
  beforeResp?: boolean;
}

export interface FakeSmscOptions {
  /** 0 = a free port. */
  port: number;
  systemId: string;
  password: string;
  /** Refuse every bind with this command_status. */
  refuseBinds: number | null;
  ackDelayMs: number;
  /**
   * False holds every submit_sm_resp until `answerHeld()` (or forever); a function holds the
   * submits it answers false for.
   */
  respond: boolean | ((submit: Readonly<SubmitRecord>) => boolean);
  idFormat: 'hex' | 'decimal';
  /** Most unanswered submits per session; one more is answered ESME_RTHROTTLED at once. */
  window: number | null;
  /** Most submits accepted in any rolling 1000 ms, across sessions; beyond: ESME_RTHROTTLED. */
  maxPerSecond: number | null;
  /** A command_status to answer instead of OK (undefined: OK). */
  answer?: (submit: Readonly<SubmitRecord>) => number | undefined;
  /** Receipts for accepted submits that asked for one (registered_delivery); null = none. */
  receipts: ReceiptOptions | null;
}

const DEFAULTS: FakeSmscOptions = {
  port: 0,
  systemId: 'salvo',
  password: 'secret',
  refuseBinds: null,
  ackDelayMs: 0,
  respond: true,
  idFormat: 'hex',
  window: null,
  maxPerSecond: null,
  receipts: null,
};

export interface BindRecord {
  session: number;
  command: string;
  systemId: string;
  password: string;
  systemType: string;
  interfaceVersion: number;
  status: number;
  at: number;
}

/** The 8-bit (IEI 0x00) or 16-bit (IEI 0x08) concatenation element of a UDH. */
export interface Concat {
  reference: number;
  total: number;
  part: number;
}

/** A submit_sm as it arrived (PDU fields keep their SMPP names) and how the fake answered it. */
export interface SubmitRecord extends Omit<SubmitSmFields, 'validity_period'> {
  /** Arrival order over the fake's whole life. */
  index: number;
  at: number;
  session: number;
  sequence_number: number;
  /** As sent, e.g. `000000010000000R`; empty when absent. */
  validity_period: string;
  /** The short_message octets, UDH included (or the message_payload TLV's when it is empty). */
  short_message: Buffer;
  concat: Concat | null;
  /** The text after the UDH, decoded per data_coding; null for a coding the fake cannot read. */
  text: string | null;
  status: number;
  /** Null when refused. */
  messageId: string | null;
  /** When the submit_sm_resp was written; null while held. */
  answeredAt: number | null;
}

export interface DeliverResponse {
  session: number;
  kind: 'receipt' | 'mo';
  sequence_number: number;
  status: number;
  at: number;
}

export interface MoMessage {
  /** `+` numbers go out international (TON 1) without the `+`. */
  from: string;
  to: string;
  text: string;
  ucs2?: boolean;
}

type BindKind = 'transceiver' | 'transmitter' | 'receiver';

interface Connection {
  index: number;
  session: SmppSession;
  bound: BindKind | null;
  /** Submits decided but not answered yet (delayed or held). */
  unanswered: number;
  held: (() => void)[];
  timers: Set<NodeJS.Timeout>;
  /** deliver_sm sent and not answered: what to do if the connection goes first. */
  awaiting: Set<() => void>;
  /** The last chunk the package read off the socket: the body of the PDU being handled. */
  lastRead: Buffer | null;
}

interface Delivery {
  kind: DeliverResponse['kind'];
  fields: Record<string, unknown>;
  /** Where it should go first (a receipt: the session of its submit). */
  prefer?: Connection;
  settle: (status: number) => void;
  fail: (error: Error) => void;
}

export class FakeSmsc {
  readonly binds: BindRecord[] = [];
  readonly submits: SubmitRecord[] = [];
  readonly deliverResponses: DeliverResponse[] = [];
  windowViolations = 0;
  /** Errors while handling a PDU (answered ESME_RSYSERR); a test may assert there were none. */
  readonly failures: Error[] = [];
  private readonly options: FakeSmscOptions;
  private server: Server | null = null;
  private listenPort = 0;
  private readonly connections = new Set<Connection>();
  private connectionCount = 0;
  private readonly acceptedAt: number[] = [];
  /** Deliveries waiting for a bound receiver, as an SMSC keeps receipts for a client away. */
  private readonly queued: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Below 16^9, so a hex id (10 digits) always has a leading zero and a decimal one never. */
  private readonly firstId = randomInt(1, 2 ** 32);
  private nextId = 0;

  private constructor(options: Partial<FakeSmscOptions>) {
    this.options = { ...DEFAULTS, ...options };
  }

  static async start(options: Partial<FakeSmscOptions> = {}): Promise<FakeSmsc> {
    const smsc = new FakeSmsc(options);
    await smsc.listen(smsc.options.port);
    return smsc;
  }

  get port(): number {
    return this.listenPort;
  }

  get url(): string {
    return `smpp://127.0.0.1:${this.listenPort}`;
  }

  /** Bound sessions. */
  get sessions(): number {
    return [...this.connections].filter((c) => c.bound).length;
  }

  set(options: Partial<FakeSmscOptions>): void {
    Object.assign(this.options, options);
  }

  /** Kills the SMSC: no unbind, every socket destroyed, unsent receipts and answers lost. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = null;
    this.dropAll();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** Listens again on the same port, keeping what was recorded. */
  async restart(): Promise<void> {
    if (this.server) await this.stop();
    await this.listen(this.listenPort);
  }

  /** Destroys every connection without a word; the SMSC keeps listening. */
  dropAll(): void {
    for (const connection of this.connections) connection.session.socket.destroy();
  }

  /**
   * Unbinds every session as an SMSC going down for maintenance, closing each on its unbind_resp;
   * resolves when all are closed (those that do not answer within `graceMs` are destroyed).
   */
  async unbindAll(graceMs = 1000): Promise<void> {
    const closing = [...this.connections].map((connection) => {
      const closed = new Promise<void>((resolve) => {
        if (connection.session.socket.destroyed) return resolve();
        connection.session.socket.once('close', () => resolve());
      });
      connection.bound = null;
      request(connection.session, 'unbind')({}, () => connection.session.close());
      const timer = setTimeout(() => connection.session.socket.destroy(), graceMs);
      return closed.finally(() => clearTimeout(timer));
    });
    await Promise.all(closing);
  }

  /** Sends the submit_sm_resp of every held submit (set `respond: true` first to stop holding). */
  answerHeld(): void {
    for (const connection of this.connections) {
      for (const answer of connection.held.splice(0)) answer();
    }
  }

  /** A mobile-originated SMS; resolves with the deliver_sm_resp's command_status. */
  sendMo({ from, to, text, ucs2 = false }: MoMessage): Promise<number> {
    const fields = {
      ...address('source', from),
      ...address('dest', to),
      esm_class: 0,
      data_coding: ucs2 ? 8 : 0,
      short_message: ucs2 ? ucs2Bytes(text) : smpp.gsmCoder.encode(text, 0),
    };
    const receiver = this.receivers()[0];
    if (!receiver) return Promise.reject(new Error('No session is bound to receive.'));
    return this.deliver({ kind: 'mo', fields, prefer: receiver }, false);
  }

  /**
   * A receipt for a submit (or a message id), sent now; resolves with the deliver_sm_resp's
   * command_status (waiting for a receiver to bind when none is).
   */
  sendReceipt(
    submitOrId: SubmitRecord | string,
    stat: string,
    options: Pick<ReceiptOptions, 'tlvs' | 'idBase' | 'err'> = {},
  ): Promise<number> {
    const submit =
      typeof submitOrId === 'string'
        ? this.submits.find((s) => s.messageId === submitOrId)
        : submitOrId;
    if (!submit?.messageId) {
      const which = typeof submitOrId === 'string' ? submitOrId : `#${submitOrId.index}`;
      throw new Error(`No accepted submit ${which}.`);
    }
    const prefer = [...this.connections].find((c) => c.index === submit.session);
    return this.deliver({ kind: 'receipt', fields: receipt(submit, stat, options), prefer });
  }

  /** Polls `probe` (every 5 ms) until it gives something truthy, which it resolves with. */
  waitFor<T>(
    description: string,
    probe: () => T | undefined | null | false,
    timeoutMs = 5000,
  ): Promise<T> {
    return waitFor(description, () => Promise.resolve(probe()), { timeoutMs, everyMs: 5 });
  }

  /** Submits answered OK. */
  accepted(): SubmitRecord[] {
    return this.submits.filter((s) => s.status === STATUS.ESME_ROK);
  }

  /** Submits per destination_addr (the accepted ones unless `all`). */
  byDestination(which: 'accepted' | 'all' = 'accepted'): Map<string, SubmitRecord[]> {
    const groups = new Map<string, SubmitRecord[]>();
    for (const submit of which === 'all' ? this.submits : this.accepted()) {
      groups.set(submit.destination_addr, [...(groups.get(submit.destination_addr) ?? []), submit]);
    }
    return groups;
  }

  /** The most submit_sm arrivals (any answer) in any 1000 ms window. */
  maxInAnySecond(): number {
    const times = this.submits.map((s) => s.at).sort((a, b) => a - b);
    let most = 0;
    for (let first = 0, last = 0; last < times.length; last++) {
      while (times[last] - times[first] >= 1000) first++;
      most = Math.max(most, last - first + 1);
    }
    return most;
  }

  private async listen(port: number): Promise<void> {
    const server = smpp.createServer((session) => this.connected(session));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.listenPort = (server.address() as AddressInfo).port;
  }

  private connected(session: SmppSession): void {
    // As an SMSC would: answers go out at once, not batched by Nagle's algorithm.
    session.socket.setNoDelay(true);
    const connection: Connection = {
      index: this.connectionCount++,
      session,
      bound: null,
      unanswered: 0,
      held: [],
      timers: new Set(),
      awaiting: new Set(),
      lastRead: null,
    };
    this.connections.add(connection);
    keepLastRead(connection);
    // A client resetting its connection is ordinary here; the close below handles it.
    session.on('error', () => undefined);
    session.socket.on('close', () => {
      this.connections.delete(connection);
      for (const timer of connection.timers) clearTimeout(timer);
      for (const lost of connection.awaiting) lost();
    });
    session.on('pdu', (pdu: SmppPdu) => {
      if (pdu.command === UNREADABLE) return this.unreadable(session, pdu);
      try {
        this.handle(connection, pdu);
      } catch (failure) {
        this.failures.push(failure as Error);
        session.send(pdu.response({ command_status: STATUS.ESME_RSYSERR }));
      }
    });
  }

  /**
   * A PDU from the client that the package could not parse (src/sms/smpp/smpp-session.ts hands it
   * on as UNREADABLE in this process too): a bug a test must see, refused as an SMSC would. It has
   * no response() of its own: answering it as any other PDU would throw out of the read loop.
   */
  private unreadable(session: SmppSession, pdu: SmppPdu): void {
    this.failures.push(
      new Error(
        `the client sent a PDU that could not be read (command_id 0x${Number(pdu.command_id).toString(16)}, sequence ${pdu.sequence_number})`,
      ),
    );
    session.send(
      smppRequest('generic_nack', {
        command_status: ESME_RINVCMDLEN,
        sequence_number: pdu.sequence_number,
      }),
    );
  }

  private handle(connection: Connection, pdu: SmppPdu): void {
    if (pdu.isResponse()) return;
    const { session } = connection;
    switch (pdu.command) {
      case 'bind_transceiver':
      case 'bind_transmitter':
      case 'bind_receiver':
        return this.bind(connection, pdu);
      case 'submit_sm':
        return this.submit(connection, pdu);
      case 'enquire_link':
        return void session.send(pdu.response());
      case 'unbind':
        connection.bound = null;
        return void session.send(pdu.response(), () => session.close());
      default:
        // generic_nack for a command id SMPP does not have; a command's own _resp otherwise.
        return void session.send(pdu.response({ command_status: STATUS.ESME_RINVCMDID }));
    }
  }

  private bind(connection: Connection, pdu: SmppPdu): void {
    const record: BindRecord = {
      session: connection.index,
      command: pdu.command,
      systemId: String(pdu.system_id),
      password: String(pdu.password),
      systemType: String(pdu.system_type),
      interfaceVersion: Number(pdu.interface_version),
      status: this.bindStatus(connection, String(pdu.system_id), String(pdu.password)),
      at: Date.now(),
    };
    this.binds.push(record);
    if (record.status !== STATUS.ESME_ROK) {
      return void connection.session.send(pdu.response({ command_status: record.status }));
    }
    const kind = pdu.command.slice('bind_'.length) as BindKind;
    connection.bound = kind;
    const version = record.interfaceVersion >= 0x34 ? { sc_interface_version: 0x34 } : {};
    connection.session.send(pdu.response({ system_id: 'FakeSMSC', ...version }));
    if (kind !== 'transmitter') this.flushQueued();
  }

  private bindStatus(connection: Connection, systemId: string, password: string): number {
    if (this.options.refuseBinds !== null) return this.options.refuseBinds;
    if (connection.bound) return STATUS.ESME_RALYBND;
    if (systemId !== this.options.systemId) return STATUS.ESME_RINVSYSID;
    if (password !== this.options.password) return STATUS.ESME_RINVPASWD;
    return STATUS.ESME_ROK;
  }

  private submit(connection: Connection, pdu: SmppPdu): void {
    const raw = connection.lastRead;
    if (!raw || raw.length !== Number(pdu.command_length) - 4) {
      throw new Error('The fake SMSC lost the raw bytes of a submit_sm.');
    }
    const fields = readSubmitSm(raw);
    const submit: SubmitRecord = {
      index: this.submits.length,
      at: Date.now(),
      session: connection.index,
      sequence_number: pdu.sequence_number,
      ...fields,
      ...readUserData(fields),
      status: STATUS.ESME_ROK,
      messageId: null,
      answeredAt: null,
    };
    this.submits.push(submit);
    const canSend = connection.bound && connection.bound !== 'receiver';
    const window = this.options.window;
    if (!canSend) submit.status = STATUS.ESME_RINVBNDSTS;
    else if (window !== null && connection.unanswered >= window) {
      this.windowViolations++;
      submit.status = STATUS.ESME_RTHROTTLED;
    }
    if (submit.status !== STATUS.ESME_ROK) return this.answer(connection, pdu, submit);
    submit.status = this.decide(submit);
    if (submit.status === STATUS.ESME_ROK) {
      submit.messageId = this.newMessageId();
      this.acceptedAt.push(submit.at);
    }
    connection.unanswered++;
    const answer = () => {
      connection.unanswered--;
      this.answer(connection, pdu, submit);
    };
    const { respond } = this.options;
    if (typeof respond === 'function' ? !respond(submit) : !respond) connection.held.push(answer);
    else if (this.options.ackDelayMs > 0) later(connection.timers, this.options.ackDelayMs, answer);
    else answer();
  }

  /** The status of a submit that is bound and within its window. */
  private decide(submit: SubmitRecord): number {
    const { maxPerSecond, answer } = this.options;
    if (maxPerSecond !== null) {
      while (this.acceptedAt.length && this.acceptedAt[0] <= submit.at - 1000) {
        this.acceptedAt.shift();
      }
      if (this.acceptedAt.length >= maxPerSecond) return STATUS.ESME_RTHROTTLED;
    }
    return answer?.(submit) ?? STATUS.ESME_ROK;
  }

  private answer(connection: Connection, pdu: SmppPdu, submit: SubmitRecord): void {
    const receipts = this.options.receipts;
    const stat = receipts && submit.messageId ? statOf(submit, receipts) : null;
    const wanted = receipts && stat && receiptWanted(submit, stat);
    if (wanted && receipts.beforeResp) this.sendAutoReceipt(submit, stat, receipts, connection);
    submit.answeredAt = Date.now();
    const resp =
      submit.status === STATUS.ESME_ROK
        ? pdu.response({ message_id: submit.messageId })
        : pdu.response({ command_status: submit.status });
    connection.session.send(resp);
    if (wanted && !receipts.beforeResp) {
      later(this.timers, receipts.delayMs ?? 0, () =>
        this.sendAutoReceipt(submit, stat, receipts, connection),
      );
    }
  }

  private sendAutoReceipt(
    submit: SubmitRecord,
    stat: string,
    options: ReceiptOptions,
    prefer: Connection,
  ): void {
    const fields = receipt(submit, stat, options);
    // Nobody awaits an automatic receipt; a lost one is queued again, never rejected.
    void this.deliver({ kind: 'receipt', fields, prefer });
  }

  /**
   * Sends a deliver_sm to the preferred connection if it can receive, else to any that can, else
   * queues it for the next receiver to bind. A receipt whose connection closes before its
   * deliver_sm_resp is queued again (an SMSC retries receipts); an MO fails instead.
   */
  private deliver(
    job: Pick<Delivery, 'kind' | 'fields' | 'prefer'>,
    requeue = true,
  ): Promise<number> {
    return new Promise<number>((settle, fail) => {
      this.route({ ...job, settle, fail }, requeue);
    });
  }

  private route(delivery: Delivery, requeue: boolean): void {
    const { prefer } = delivery;
    const receivers = this.receivers();
    const target = prefer && receivers.includes(prefer) ? prefer : receivers[0];
    if (!target) return void this.queued.push(delivery);
    const lost = () => {
      if (requeue) this.route({ ...delivery, prefer: undefined }, requeue);
      else delivery.fail(new Error('The session closed before its deliver_sm_resp.'));
    };
    target.awaiting.add(lost);
    request(target.session, 'deliver_sm')({ ...delivery.fields }, (resp) => {
      target.awaiting.delete(lost);
      this.deliverResponses.push({
        session: target.index,
        kind: delivery.kind,
        sequence_number: resp.sequence_number,
        status: resp.command_status,
        at: Date.now(),
      });
      delivery.settle(resp.command_status);
    });
  }

  private flushQueued(): void {
    for (const delivery of this.queued.splice(0)) this.route(delivery, true);
  }

  private receivers(): Connection[] {
    return [...this.connections].filter(
      (c) => c.bound && c.bound !== 'transmitter' && !c.session.socket.destroyed,
    );
  }

  private newMessageId(): string {
    const id = this.firstId + this.nextId++;
    return this.options.idFormat === 'hex' ? id.toString(16).padStart(10, '0') : id.toString(10);
  }
}

function request(session: SmppSession, command: string): SmppRequest {
  return (session[command] as SmppRequest).bind(session);
}

function later(timers: Set<NodeJS.Timeout>, ms: number, run: () => void): void {
  const timer = setTimeout(() => {
    timers.delete(timer);
    run();
  }, ms);
  timers.add(timer);
}

/**
 * The package hands over submit_sm with short_message already decoded (lossily). It reads each
 * PDU body in one socket.read() just before emitting the PDU, so keeping that chunk gives the
 * bytes exactly as they were sent.
 */
function keepLastRead(connection: Connection): void {
  const socket = connection.session.socket;
  const read = socket.read.bind(socket);
  socket.read = (size?: number): unknown => {
    const chunk: unknown = read(size);
    if (Buffer.isBuffer(chunk)) connection.lastRead = chunk;
    return chunk;
  };
}

type SubmitFields = Pick<
  SubmitRecord,
  | 'source_addr'
  | 'source_addr_ton'
  | 'source_addr_npi'
  | 'destination_addr'
  | 'dest_addr_ton'
  | 'dest_addr_npi'
  | 'esm_class'
  | 'registered_delivery'
  | 'data_coding'
  | 'validity_period'
  | 'short_message'
>;

/** The mandatory fields of a submit_sm body (from command_id on), SMPP 3.4 §4.4.1. */
function readSubmitSm(body: Buffer): SubmitFields {
  let offset = 12;
  const int8 = () => body[offset++];
  const cstring = () => {
    const end = body.indexOf(0, offset);
    const text = body.toString('latin1', offset, end);
    offset = end + 1;
    return text;
  };
  cstring(); // service_type
  const [source_addr_ton, source_addr_npi, source_addr] = [int8(), int8(), cstring()];
  const [dest_addr_ton, dest_addr_npi, destination_addr] = [int8(), int8(), cstring()];
  const esm_class = int8();
  offset += 2; // protocol_id, priority_flag
  cstring(); // schedule_delivery_time
  const validity_period = cstring();
  const registered_delivery = int8();
  offset += 1; // replace_if_present_flag
  const data_coding = int8();
  offset += 1; // sm_default_msg_id
  const length = int8();
  let short_message = body.subarray(offset, offset + length);
  if (length === 0) short_message = tlv(body, offset, 0x0424) ?? short_message;
  return {
    source_addr,
    source_addr_ton,
    source_addr_npi,
    destination_addr,
    dest_addr_ton,
    dest_addr_npi,
    esm_class,
    registered_delivery,
    data_coding,
    validity_period,
    short_message: Buffer.from(short_message),
  };
}

function tlv(body: Buffer, offset: number, tag: number): Buffer | undefined {
  while (offset + 4 <= body.length) {
    const length = body.readUInt16BE(offset + 2);
    if (body.readUInt16BE(offset) === tag) return body.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
  }
  return undefined;
}

/** The concatenation element of the UDH (when esm_class says there is one) and the text after. */
function readUserData({ esm_class, data_coding, short_message }: SubmitFields) {
  const hasUdh = (esm_class & 0x40) !== 0 && short_message.length > 0;
  const udhEnd = hasUdh ? short_message[0] + 1 : 0;
  return {
    concat: hasUdh ? readConcat(short_message.subarray(1, udhEnd)) : null,
    text: decodeText(short_message.subarray(udhEnd), data_coding),
  };
}

function readConcat(elements: Buffer): Concat | null {
  for (let offset = 0; offset + 2 <= elements.length; offset += 2 + elements[offset + 1]) {
    const [iei, data] = [elements[offset], elements.subarray(offset + 2)];
    if (iei === 0x00) return { reference: data[0], total: data[1], part: data[2] };
    if (iei === 0x08) return { reference: data.readUInt16BE(0), total: data[2], part: data[3] };
  }
  return null;
}

function decodeText(bytes: Buffer, dataCoding: number): string | null {
  switch (dataCoding) {
    case 0x00:
      return smpp.gsmCoder.decode(bytes, 0);
    case 0x01:
      return bytes.toString('ascii');
    case 0x03:
      return bytes.toString('latin1');
    case 0x08:
      return new TextDecoder('utf-16be').decode(bytes);
    default:
      return null;
  }
}

function ucs2Bytes(text: string): Buffer {
  return Buffer.from(text, 'utf16le').swap16();
}

function address(side: 'source' | 'dest', number: string) {
  const international = number.startsWith('+');
  const ton = international ? 1 : 0;
  const addr = international ? number.slice(1) : number;
  return side === 'source'
    ? { source_addr_ton: ton, source_addr_npi: ton, source_addr: addr }
    : { dest_addr_ton: ton, dest_addr_npi: ton, destination_addr: addr };
}

function statOf(submit: SubmitRecord, { stat = 'DELIVRD' }: ReceiptOptions): string {
  return typeof stat === 'function' ? stat(submit) : stat;
}

/** registered_delivery's low bits: 1 any final receipt, 2 failures only, 3 successes only. */
function receiptWanted(submit: SubmitRecord, stat: string): boolean {
  const asked = submit.registered_delivery & 0x03;
  if (asked === 0) return false;
  return asked === 1 || (asked === 3) === (stat === 'DELIVRD');
}

/** The deliver_sm fields of a receipt, addressed back to the submit's source. */
function receipt(
  submit: SubmitRecord,
  stat: string,
  { tlvs = true, idBase = 'same', err = '000' }: Pick<ReceiptOptions, 'tlvs' | 'idBase' | 'err'>,
): Record<string, unknown> {
  const id = inBase(submit.messageId!, idBase);
  const delivered = stat === 'DELIVRD' ? '001' : '000';
  const text =
    `id:${id} sub:001 dlvrd:${delivered} submit date:${receiptDate(submit.at)} ` +
    `done date:${receiptDate(Date.now())} stat:${stat} err:${err} ` +
    `text:${(submit.text ?? '').slice(0, 20)}`;
  const state = smpp.MESSAGE_STATE[MESSAGE_STATES[stat] ?? 'UNKNOWN'];
  return {
    source_addr_ton: submit.dest_addr_ton,
    source_addr_npi: submit.dest_addr_npi,
    source_addr: submit.destination_addr,
    dest_addr_ton: submit.source_addr_ton,
    dest_addr_npi: submit.source_addr_npi,
    destination_addr: submit.source_addr,
    esm_class: 0x04,
    data_coding: 0,
    short_message: smpp.gsmCoder.encode(text, 0),
    ...(tlvs && { receipted_message_id: id, message_state: state }),
  };
}

/** Tells this fake's ids apart: hex ones start with 0 (see `firstId`), decimal ones never. */
function inBase(id: string, base: IdBase): string {
  const value = id.startsWith('0') ? BigInt(`0x${id}`) : BigInt(id);
  if (base === 'decimal') return value.toString(10);
  if (base === 'hex') return value.toString(16).toUpperCase();
  return id;
}

/** YYMMDDhhmm in UTC. */
function receiptDate(at: number): string {
  return new Date(at).toISOString().replace(/\D/g, '').slice(2, 12);
}
