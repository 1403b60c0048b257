import type { Namespace } from 'socket.io';
import type { AccountsService } from '../../accounts/accounts.service';
import { KeyRevocations } from '../../accounts/key-revocations';
import { RevokedKeySockets } from './revoked-key-sockets';

/** Sockets of this process, as the namespace holds them, recording what happened to them. */
function fakeNamespace(keys: Record<string, string | undefined>) {
  const disconnected: string[] = [];
  const roomsDisconnected: string[] = [];
  const sockets = new Map(
    Object.entries(keys).map(([id, keyId]) => [
      id,
      { id, data: { keyId }, disconnect: () => disconnected.push(id) },
    ]),
  );
  const nsp = {
    sockets,
    on: () => nsp,
    in: (room: string) => ({ disconnectSockets: () => roomsDisconnected.push(room) }),
  };
  return { nsp: nsp as unknown as Namespace, disconnected, roomsDisconnected };
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

  it('runs one sweep at a time', async () => {
    let answer!: (ids: Set<string>) => void;
    const sweep = newSweep(() => new Promise((resolve) => (answer = resolve)));
    service = sweep.service;
    service.attach(fakeNamespace({ a: 'k1' }).nsp);
    const first = service.sweep();
    await service.sweep();
    answer(new Set(['k1']));
    await first;
    expect(sweep.asked).toHaveLength(1);
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
