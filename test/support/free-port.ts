// A loopback port free right now, for a service whose own URL must be known before it starts
// (PUBLIC_BASE_URL, which Twilio's callbacks are signed against).
import { createServer, type AddressInfo } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
