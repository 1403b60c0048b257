// For processes without Socket.IO (the operator's CLI): closes a revoked key's sockets on every
// API process through the Redis adapter's request channel, as a revocation over the API does.
import { Emitter } from '@socket.io/redis-emitter';
import Redis from 'ioredis';
import { withTimeout } from '../../common/with-timeout';
import { BATCH_NAMESPACE, socketIoKey } from '../../batch/events/batch-notices';
import { keyRoom } from './subscription';

/** Resolves once Redis took the request; rejects when it cannot within `timeoutMs`. */
export async function disconnectKeySockets(
  redis: { url: string; prefix: string },
  keyId: string,
  timeoutMs = 2_000,
): Promise<void> {
  const client = new Redis(redis.url, {
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  const published: Promise<unknown>[] = [];
  const publisher = {
    publish: (channel: string, message: string | Buffer) => {
      const done = client.publish(channel, message);
      published.push(done);
      return done;
    },
  };
  try {
    new Emitter(publisher, { key: socketIoKey(redis.prefix) })
      .of(BATCH_NAMESPACE)
      .in(keyRoom(keyId))
      .disconnectSockets(true);
    await withTimeout(Promise.all(published), timeoutMs);
  } finally {
    client.disconnect();
  }
}
