import type { Namespace } from 'socket.io';
import type { AccountsService } from '../../accounts/accounts.service';
import { KEY_SOCKETS_CLOSED_WITHIN_MS, KeyRevocations } from '../../accounts/key-revocations';
import {
  KEY_SWEEP_INTERVAL_MS,
  KEY_SWEEP_TIMEOUT_MS,
  RevokedKeySockets,
  SLOW_HANDSHAKE_MS,
} from './revoked-key-sockets';

/** Sockets of this process, as the namespace holds them, recording what happened to them. */
function fakeNamespace(keys: Record<string, string | undefined>) {
  const disconnected: string[] = [];
  const roomsDisconnected: string[] = [];
  const sockets = new Map<string, unknown>();
  // A disconnected socket leaves the namespace, as in Socket.IO.
  const socket = (id: string, keyId: string | undefined, extra: Record<string, unknown> = {}) => ({
    id,
    data: { keyId },
    disconnect: () => {
      disconnected.push(id);
      sockets.delete(id);
    },
    ...extra,
  });
  for (const [id, keyId] of Object.entries(keys)) sockets.set(id, socket(id, keyId));
  let onConnection: ((socket: unknown) => void) | undefined;
  const nsp = {
    sockets,
    on: (event: string, listener: (socket: unknown) => void) => {
      if (event === 'connection') onConnection = listener;
      return nsp;
    },
    in: (room: string) => ({ disconnectSockets: () => roomsDisconnected.push(room) }),
  };
  const joined: string[] = [];
  /** A socket whose handshake began `tookMs` ago completes it (in the namespace already). */
  const connect = (id: string, keyId: string, tookMs: number) => {
    const connected = socket(id, keyId, {
      handshake: { issued: Date.now() - tookMs },
      join: (room: string) => joined.push(`${id} ${room}`),
    });
    sockets.set(id, connected);
    onConnection?.(connected);
  };
  return { nsp: nsp as unknown as Namespace, disconnected, roomsDisconnected, connect, joined };
}

function newSweep(active: (ids: readonly string[]) => Promise<Set<string>>) {
  const asked: string[][] = [];
  const accounts = {
    activeKeyIds: (ids: readonly string[]) => {
      asked.push([...ids]);
      return active(ids);
    },
  } as unknown as AccountsService;
  const revocations = new KeyRevocations();
  return { service: new RevokedKeySockets(accounts, revocations), revocations, asked };
}

describe('RevokedKeySockets', () => {
  let service: RevokedKeySockets | undefined;
  afterEach(() => service?.onApplicationShutdown());

  it('closes the sockets whose key is no longer active, asking once per key', async () => {
    const sweep = newSweep(() => Promise.resolve(new Set(['k1'])));
    service = sweep.service;
    const ns = fakeNamespace({ a: 'k1', b: 'k2', c: 'k2', d: 'k1' });
    service.attach(ns.nsp);
    await service.sweep();
    expect(sweep.asked).toEqual([['k1', 'k2']]);
    expect(ns.disconnected).toEqual(['b', 'c']);
  });

  it.each([
    ['no sockets', {}],
    ['sockets still in their handshake (no key yet)', { a: undefined }],
  ])('asks nothing with %s', async (_what, keys) => {
    const sweep = newSweep(() => Promise.resolve(new Set()));
    service = sweep.service;
    const ns = fakeNamespace(keys);
    service.attach(ns.nsp);
    await service.sweep();
    expect(sweep.asked).toEqual([]);
    expect(ns.disconnected).toEqual([]);
  });

  it('keeps every socket when the database cannot answer, and tries again next time', async () => {
    let fail = true;
    const sweep = newSweep(() =>
      fail ? Promise.reject(new Error('connection refused')) : Promise.resolve(new Set<string>()),
    );
    service = sweep.service;
    const ns = fakeNamespace({ a: 'k1' });
    service.attach(ns.nsp);
    await expect(service.sweep()).resolves.toBeUndefined();
    expect(ns.disconnected).toEqual([]);
    fail = false;
    await service.sweep();
    expect(ns.disconnected).toEqual(['a']);
  });

  it('runs one query at a time; sweeps asked for meanwhile run once, after it', async () => {
    const answers: ((ids: Set<string>) => void)[] = [];
    const sweep = newSweep(() => new Promise((resolve) => answers.push(resolve)));
    service = sweep.service;
    service.attach(fakeNamespace({ a: 'k1' }).nsp);
    const first = service.sweep();
    await service.sweep();
    await service.sweep();
    expect(sweep.asked).toHaveLength(1);
    answers[0](new Set(['k1']));
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(sweep.asked).toHaveLength(2);
    answers[1](new Set(['k1']));
  });

  it('stops waiting for a query that hangs, and asks no other until it settles', async () => {
    jest.useFakeTimers();
    try {
      let settle!: (ids: Set<string>) => void;
      let calls = 0;
      const sweep = newSweep(() =>
        ++calls === 1
          ? new Promise<Set<string>>((resolve) => (settle = resolve))
          : Promise.resolve(new Set()),
      );
      service = sweep.service;
      const ns = fakeNamespace({ a: 'k1' });
      service.attach(ns.nsp);
      const hung = service.sweep();
      await jest.advanceTimersByTimeAsync(KEY_SWEEP_TIMEOUT_MS);
      await expect(hung).resolves.toBeUndefined();
      expect(ns.disconnected).toEqual([]);
      // Neither a sweep asked for nor the timer's adds a query to the stalled database.
      await service.sweep();
      await jest.advanceTimersByTimeAsync(KEY_SWEEP_INTERVAL_MS * 3);
      expect(sweep.asked).toHaveLength(1);
      // Once it settles, one sweep runs at once.
      settle(new Set(['k1']));
      await jest.advanceTimersByTimeAsync(0);
      expect(sweep.asked).toHaveLength(2);
      expect(ns.disconnected).toEqual(['a']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('sweeps on its own often enough to keep the 2 s promise, the query included', async () => {
    jest.useFakeTimers();
    try {
      const sweep = newSweep(() => Promise.resolve(new Set()));
      service = sweep.service;
      const ns = fakeNamespace({ a: 'k1' });
      service.attach(ns.nsp);
      await jest.advanceTimersByTimeAsync(KEY_SWEEP_INTERVAL_MS);
      expect(ns.disconnected).toEqual(['a']);
      // A socket that joined its key's room after the broadcast: the next sweep, or at once.
      expect(KEY_SWEEP_INTERVAL_MS + SLOW_HANDSHAKE_MS).toBeLessThan(KEY_SOCKETS_CLOSED_WITHIN_MS);
    } finally {
      jest.useRealTimers();
    }
  });

  it("sweeps at once after a slow handshake (it may have missed its key's broadcast), one query for many", async () => {
    const sweep = newSweep(() => Promise.resolve(new Set(['k1'])));
    service = sweep.service;
    const ns = fakeNamespace({});
    service.attach(ns.nsp);
    ns.connect('fast', 'k2', 5);
    expect(sweep.asked).toEqual([]);
    ns.connect('slow', 'k2', SLOW_HANDSHAKE_MS + 100);
    ns.connect('slow but active', 'k1', SLOW_HANDSHAKE_MS + 100);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ns.joined).toEqual(['fast key:k2', 'slow key:k2', 'slow but active key:k1']);
    // The first slow one swept every socket; the second, arriving meanwhile, one sweep after it.
    expect(sweep.asked).toEqual([['k2'], ['k1']]);
    expect(ns.disconnected).toEqual(['fast', 'slow']);
  });

  it("disconnects a revoked key's room, on every process through the adapter", () => {
    const sweep = newSweep(() => Promise.resolve(new Set()));
    service = sweep.service;
    const ns = fakeNamespace({});
    service.attach(ns.nsp);
    sweep.revocations.revoked('k9');
    expect(ns.roomsDisconnected).toEqual(['key:k9']);
    service.onApplicationShutdown();
    sweep.revocations.revoked('k10');
    expect(ns.roomsDisconnected).toEqual(['key:k9']);
  });
});
