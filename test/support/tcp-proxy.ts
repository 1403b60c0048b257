// A loopback TCP proxy for fault tests (no toxiproxy or netem here): forwards to a target port
// until told to black-hole (connections stay open and nothing moves either way, new ones wait
// unanswered: a cut network as both ends see it, shorter than TCP's own timeouts, so what was held
// flows on once restored) or to reset (every connection is destroyed and new ones too, as a stopped
// server looks).
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type ProxyMode = 'pass' | 'blackhole' | 'reset';

export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  mode(): ProxyMode;
  setMode(mode: ProxyMode): void;
  /** Connections open through the proxy right now. */
  connections(): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<TcpProxy> {
  let mode: ProxyMode = 'pass';
  const pairs = new Set<Pair>();

  const waiting = new Set<Socket>();

  const forward = (client: Socket) => {
    const upstream = connect(targetPort, targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    if (mode === 'reset') return client.resetAndDestroy();
    if (mode === 'pass') return forward(client);
    // Black hole: the connection is accepted but nothing answers it until the network is back.
    waiting.add(client);
    client.on('error', () => waiting.delete(client)).on('close', () => waiting.delete(client));
  });

  const everySocket = () => [...pairs].flatMap(({ client, upstream }) => [client, upstream]);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as AddressInfo).port,
    mode: () => mode,
    setMode(next) {
      mode = next;
      if (next === 'blackhole') {
        // Nothing read is nothing forwarded; TCP's own flow control holds the rest at the ends.
        for (const socket of everySocket()) socket.pause();
        return;
      }
      if (next === 'reset') {
        for (const { client, upstream } of pairs) {
          client.resetAndDestroy();
          upstream.destroy();
        }
        for (const client of waiting) client.resetAndDestroy();
        pairs.clear();
        waiting.clear();
        return;
      }
      for (const socket of everySocket()) socket.resume();
      for (const client of waiting) forward(client);
      waiting.clear();
    },
    connections: () => pairs.size,
    close: async () => {
      for (const socket of [...everySocket(), ...waiting]) socket.destroy();
      pairs.clear();
      waiting.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
