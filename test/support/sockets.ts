// Real socket.io-client connections to the /batches namespace, and what they heard.
import { io, type Socket } from 'socket.io-client';
import type { RunningApp } from './app-process';
import type { BatchStatusBody } from './dispatch';
import { waitFor } from './wait';

export interface Heard {
  event: string;
  at: number;
  body: BatchStatusBody & { category?: string; summary?: Record<string, unknown> };
}

export interface BatchSocket {
  socket: Socket;
  heard: Heard[];
  /** Emits with an ack and answers the ack (fails after 5 s without one). */
  ask(event: string, payload?: unknown): Promise<Record<string, unknown>>;
  /** The events heard about one batch, by name. */
  of(batchId: string, event: string): Heard[];
  close(): void;
}

const EVENTS = ['batch:progress', 'batch:status', 'batch:error'];

/** Connects with `token`; rejects with the connect_error when the handshake is refused. */
export async function connect(
  app: RunningApp,
  token?: string,
  namespace = '/batches',
): Promise<BatchSocket> {
  const socket = io(`${app.url}${namespace}`, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const heard: Heard[] = [];
  for (const event of EVENTS) {
    socket.on(event, (body: Heard['body']) => heard.push({ event, at: Date.now(), body }));
  }
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
  return {
    socket,
    heard,
    ask: (event, payload) =>
      socket.timeout(5_000).emitWithAck(event, payload) as Promise<Record<string, unknown>>,
    of: (batchId, event) => heard.filter((h) => h.event === event && h.body.id === batchId),
    close: () => socket.close(),
  };
}

/** Waits until the socket heard `event` for the batch with a body that satisfies `until`. */
export function waitToHear(
  client: BatchSocket,
  batchId: string,
  event: string,
  until: (body: Heard['body']) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<Heard> {
  return waitFor(
    `${event} of ${batchId}`,
    () => Promise.resolve(client.of(batchId, event).find((h) => until(h.body))),
    { timeoutMs, everyMs: 20 },
  );
}

/** The connect_error of a refused handshake: `message` is the code, `data` the error body. */
export interface Refusal {
  message: string;
  data?: { code: string; message: string };
}

/** Connects expecting a refusal; resolves with the connect_error (undefined if it connected). */
export async function refused(
  app: RunningApp,
  token?: string,
  namespace?: string,
): Promise<Refusal | undefined> {
  return connect(app, token, namespace).then(
    (socket) => {
      socket.close();
      return undefined;
    },
    (error: Refusal) => error,
  );
}

/** The most events within any sliding second among these receipt times. */
export function mostInAnySecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= 1_000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}
