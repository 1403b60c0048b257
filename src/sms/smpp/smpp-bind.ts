// One transceiver bind to the SMSC: binds, keeps the link alive, reconnects forever, and owns its
// window of unacknowledged submit_sm with a response timeout of its own (the package has neither).
import { Logger, type LoggerService } from '@nestjs/common';
import type { SmppSettings } from '../../config/configuration';
import { reconnectDelayMs, STABLE_BIND_MS } from './reconnect-backoff';
import {
  deliverSmOf,
  ESME_RINVCMDID,
  ESME_ROK,
  ESME_RX_T_APPN,
  INTERFACE_VERSION_34,
  openSmppSession,
  smppRequest,
  type DeliverSm,
  type SmppPdu,
  type SmppSession,
  type SubmitSmFields,
  UNREADABLE,
  answerToUnreadable,
} from './smpp-session';

export type SubmitOutcome =
  | { kind: 'answered'; commandStatus: number; messageId: string | null }
  // Nothing reached the SMSC: safe to retry. `refusal` when the last bind attempt was refused;
  // `window-full` when binds were up but had no room in time; `throughput` when SMPP_MAX_MPS had
  // no slot in time (or Redis could not count it).
  | {
      kind: 'unwritten';
      reason: 'not-bound' | 'window-full' | 'closing' | 'aborted' | 'throughput';
      refusal?: { commandStatus: number };
    }
  // Written, no answer: the SMSC may have taken it.
  | { kind: 'unknown'; reason: 'timeout' | 'connection-lost' };

export type DeliverHandler = (pdu: DeliverSm) => Promise<number>;

export interface BindRefusal {
  commandStatus: number;
  at: Date;
}

/** How long close() waits for the SMSC's unbind_resp before it drops the connection anyway. */
export const UNBIND_WAIT_MS = 2_000;
/** deliver_sm one bind stores at once; more are answered ESME_RX_T_APPN (come again later). */
export const DELIVERING_MAX = 256;

/** The responses that answer a submit_sm: its own, or the SMSC's refusal to read it. */
const SUBMIT_ANSWERS = new Set(['submit_sm_resp', 'generic_nack']);

type BindState = 'idle' | 'connecting' | 'binding' | 'bound' | 'waiting' | 'closing' | 'closed';

interface InFlight {
  answer(outcome: SubmitOutcome): void;
  timer: NodeJS.Timeout;
}

export class SmppBind {
  private state: BindState = 'idle';
  private session: SmppSession | null = null;
  private readonly inFlight = new Map<number, InFlight>();
  /** Window places held for submits that are about to be written (waiting for their slot). */
  private held = 0;
  /** deliver_sm being stored now, answered once they are. */
  private delivering = 0;
  private attempt = 0;
  private boundAt = 0;
  private lastRefusal: BindRefusal | null = null;
  /** Whether this outage was logged already: a dead SMSC would otherwise log every retry. */
  private outageLogged = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private enquireTimer: NodeJS.Timeout | undefined;
  private linkTimer: NodeJS.Timeout | undefined;
  private drained: (() => void) | undefined;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly settings: SmppSettings,
    private readonly onDeliver: DeliverHandler,
    /** Told whenever the bind comes up, goes down or frees a place in its window. */
    private readonly onRoom: () => void,
    private readonly logger: LoggerService = new Logger(SmppBind.name),
    private readonly name = 'bind',
  ) {}

  /** Connects unless it is connected, connecting or closed. Never throws. */
  start(): void {
    if (this.state === 'idle') this.connect();
  }

  isBound(): boolean {
    return this.state === 'bound';
  }

  /** Places left in the window; none while not bound. */
  room(): number {
    return this.isBound() ? this.settings.window - this.inFlight.size - this.held : 0;
  }

  /**
   * Holds one window place (the caller checked room()) while `beforeWrite` waits (SMPP_MAX_MPS's
   * slot), then writes at once, in the same tick: the write happens at the slot's time, not
   * whenever a place frees up later. `beforeWrite` answers null to write, or the outcome to give
   * instead (nothing written, the place goes to the next waiter).
   */
  async submitAfter(
    beforeWrite: () => Promise<Extract<SubmitOutcome, { kind: 'unwritten' }> | null>,
    fields: SubmitSmFields,
  ): Promise<SubmitOutcome> {
    this.held++;
    let refused: Extract<SubmitOutcome, { kind: 'unwritten' }> | null;
    try {
      refused = await beforeWrite();
    } catch (error) {
      this.held--;
      this.onRoom();
      throw error;
    }
    this.held--;
    if (refused) {
      this.onRoom();
      return refused;
    }
    // The place is still free unless the link dropped meanwhile (then this answers unwritten).
    return this.submit(fields);
  }

  /** The last bind attempt's refusal by the SMSC, until a bind succeeds. */
  refusal(): BindRefusal | null {
    return this.lastRefusal;
  }

  /**
   * Writes one submit_sm now (the caller checked room()) and answers with its submit_sm_resp, or
   * unknown when none comes within responseTimeoutMs or the connection drops first. Rejects, with
   * nothing written, when the package cannot encode the fields (a short_message over 254 octets).
   */
  submit(fields: SubmitSmFields): Promise<SubmitOutcome> {
    const session = this.session;
    if (this.room() <= 0 || !session) {
      return Promise.resolve({ kind: 'unwritten', reason: 'not-bound' });
    }
    return new Promise((resolve) => {
      const pdu = smppRequest('submit_sm', fields);
      const written = session.send(pdu, (response) => {
        // A dropped session's socket may still be read (an unbind's flush): its sequence numbers
        // restart on the next session, so its late answers must not settle that one's submits.
        if (session !== this.session) return;
        // Any other response with this sequence number (a stray enquire_link_resp, a command
        // SMPP does not have) says nothing of this submit: it times out, its outcome unknown.
        if (!SUBMIT_ANSWERS.has(response.command)) return;
        this.settle(response.sequence_number, {
          kind: 'answered',
          commandStatus: response.command_status,
          messageId: typeof response.message_id === 'string' ? response.message_id : null,
        });
      });
      if (!written) {
        resolve({ kind: 'unwritten', reason: 'not-bound' });
        this.linkLost('the socket stopped taking writes');
        return;
      }
      const sequence = pdu.sequence_number;
      const timer = setTimeout(
        () => this.settle(sequence, { kind: 'unknown', reason: 'timeout' }),
        this.settings.responseTimeoutMs,
      );
      this.inFlight.set(sequence, { answer: resolve, timer });
    });
  }

  /**
   * Takes no more submits, lets the written ones be answered (each has its own timeout), unbinds,
   * waits up to UNBIND_WAIT_MS for unbind_resp and drops the connection; it never reconnects.
   */
  close(): Promise<void> {
    // A second close() waits for the first rather than returning before the unbind is done.
    this.closed ??= this.unbindAndDrop();
    return this.closed;
  }

  private async unbindAndDrop(): Promise<void> {
    const wasBound = this.state === 'bound';
    this.state = 'closing';
    clearTimeout(this.reconnectTimer);
    clearInterval(this.enquireTimer);
    if (this.inFlight.size > 0) await new Promise<void>((done) => (this.drained = done));
    const session = this.session;
    if (wasBound && session) {
      await new Promise<void>((done) => {
        const timer = setTimeout(done, UNBIND_WAIT_MS);
        const sent = session.send(smppRequest('unbind'), () => {
          clearTimeout(timer);
          done();
        });
        if (!sent) {
          clearTimeout(timer);
          done();
        }
      });
    }
    this.state = 'closed';
    this.dropSession();
  }

  private connect(): void {
    this.state = 'connecting';
    const session = openSmppSession(this.settings.host, this.settings.port);
    this.session = session;
    // Every error is answered here: an unhandled 'error' event would kill the process.
    session.on('error', (error) => this.linkLost(error.message, session));
    session.on('close', () => this.linkLost('the connection closed', session));
    session.on('connect', () => this.bindOn(session));
    session.on('pdu', (pdu) => this.onPdu(session, pdu));
    // A half-open connection never errors: the bind_transceiver_resp has the response timeout.
    this.linkTimer = setTimeout(
      () => this.linkLost('no bind_transceiver_resp in time', session),
      this.settings.responseTimeoutMs,
    );
  }

  private bindOn(session: SmppSession): void {
    this.state = 'binding';
    const bind = smppRequest('bind_transceiver', {
      system_id: this.settings.systemId,
      password: this.settings.password,
      system_type: this.settings.systemType,
      interface_version: INTERFACE_VERSION_34,
      addr_ton: 0,
      addr_npi: 0,
    });
    session.send(bind, (response) => {
      if (session !== this.session || this.state !== 'binding') return;
      clearTimeout(this.linkTimer);
      this.linkTimer = undefined;
      if (response.command_status !== ESME_ROK) {
        this.lastRefusal = { commandStatus: response.command_status, at: new Date() };
        this.linkLost(`the SMSC refused the bind (command_status ${response.command_status})`);
        return;
      }
      this.bound();
    });
  }

  private bound(): void {
    this.state = 'bound';
    this.boundAt = Date.now();
    this.lastRefusal = null;
    this.outageLogged = false;
    this.logger.log(`SMPP ${this.name} bound to ${this.settings.host}:${this.settings.port}`);
    this.enquireTimer = setInterval(() => this.enquireLink(), this.settings.enquireLinkMs);
    this.onRoom();
  }

  private enquireLink(): void {
    const session = this.session;
    if (!session || this.linkTimer) return;
    this.linkTimer = setTimeout(
      () => this.linkLost('no enquire_link_resp in time', session),
      this.settings.responseTimeoutMs,
    );
    session.send(smppRequest('enquire_link'), () => {
      if (session !== this.session) return;
      clearTimeout(this.linkTimer);
      this.linkTimer = undefined;
    });
  }

  /** Requests from the SMSC; responses reach the callbacks given to send(). */
  private onPdu(session: SmppSession, pdu: SmppPdu): void {
    if (pdu.isResponse()) return;
    switch (pdu.command) {
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'unbind':
        session.send(pdu.response());
        this.linkLost('the SMSC unbound', session, { flush: true });
        return;
      case 'deliver_sm':
      case 'data_sm':
        void this.answerDeliver(session, pdu);
        return;
      case UNREADABLE: {
        this.logger.warn(
          `SMPP ${this.name}: the SMSC sent a PDU that could not be read (command_id 0x${Number(pdu.command_id).toString(16)}, sequence ${pdu.sequence_number}); refused, the link kept`,
        );
        const answer = answerToUnreadable(pdu);
        if (answer) session.send(answer);
        return;
      }
      default:
        session.send(nack(pdu));
    }
  }

  /** Answers with the handler's status; ESME_RX_T_APPN when it fails, so the SMSC retries later. */
  private async answerDeliver(session: SmppSession, pdu: SmppPdu): Promise<void> {
    // An SMSC keeps its own window of deliver_sm; one that does not cannot make this process
    // hold more than DELIVERING_MAX of them at once: the rest are asked to come again later.
    if (this.delivering >= DELIVERING_MAX) {
      session.send(pdu.response({ command_status: ESME_RX_T_APPN }));
      return;
    }
    this.delivering++;
    let commandStatus: number;
    try {
      commandStatus = await this.onDeliver(deliverSmOf(pdu));
    } catch (error) {
      this.logger.error(`SMPP ${pdu.command} handler failed; asked the SMSC to retry`, error);
      commandStatus = ESME_RX_T_APPN;
    } finally {
      this.delivering--;
    }
    session.send(pdu.response({ command_status: commandStatus }));
  }

  private settle(sequence: number, outcome: SubmitOutcome): void {
    const entry = this.inFlight.get(sequence);
    // A response after its timeout, or after the connection it was written on dropped: ignored.
    if (!entry) return;
    clearTimeout(entry.timer);
    this.inFlight.delete(sequence);
    entry.answer(outcome);
    if (this.inFlight.size === 0) this.drained?.();
    this.onRoom();
  }

  /**
   * The connection is gone or no longer trusted: whatever was written and unanswered is unknown,
   * and a new connection follows after the backoff (unless closing). `from` ignores events of a
   * session already replaced.
   */
  private linkLost(
    why: string,
    from: SmppSession | null = this.session,
    options: { flush?: boolean } = {},
  ): void {
    if (from !== this.session || !this.session) return;
    const wasBound = this.state === 'bound';
    this.dropSession(options.flush);
    const closing = this.state === 'closing' || this.state === 'closed';
    // Not bound from here on, before anyone is told of freed room.
    if (!closing) this.state = 'waiting';
    for (const sequence of [...this.inFlight.keys()]) {
      this.settle(sequence, { kind: 'unknown', reason: 'connection-lost' });
    }
    if (closing) return;
    if (!this.outageLogged) {
      this.logger.warn(
        `SMPP ${this.name} to ${this.settings.host}:${this.settings.port} down: ${why}`,
      );
      this.outageLogged = true;
    }
    if (wasBound && Date.now() - this.boundAt >= STABLE_BIND_MS) this.attempt = 0;
    const delay = reconnectDelayMs(this.attempt++, Math.random());
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    if (wasBound) this.onRoom();
  }

  /** Forgets the session; `flush` lets what was just written (an unbind_resp) leave first. */
  private dropSession(flush = false): void {
    clearTimeout(this.linkTimer);
    this.linkTimer = undefined;
    clearInterval(this.enquireTimer);
    const session = this.session;
    this.session = null;
    if (!session) return;
    session.removeAllListeners();
    // Late errors of the dropped socket still need a listener, or they would kill the process.
    session.on('error', () => undefined);
    if (!flush) {
      session.destroy();
      return;
    }
    session.socket.end();
    setTimeout(() => session.destroy(), UNBIND_WAIT_MS).unref();
  }
}

/** generic_nack for a request Salvo does not take from an SMSC (a submit_sm, a query_sm...). */
function nack(pdu: SmppPdu): SmppPdu {
  return smppRequest('generic_nack', {
    command_status: ESME_RINVCMDID,
    sequence_number: pdu.sequence_number,
  });
}
