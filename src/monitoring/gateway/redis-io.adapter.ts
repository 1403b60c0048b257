import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import { socketIoKey } from '../../batch/events/batch-notices';
import { BatchEventRelay } from './batch-event.relay';

export interface RedisIoOptions {
  redisUrl: string;
  redisPrefix: string;
  /** Origins allowed to connect from a browser page (CORS_ORIGINS); none by default. */
  corsOrigins: readonly string[];
}

/** Largest message a client may send, the handshake's auth included. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/**
 * Socket.IO on the HTTP server, with the Redis adapter: every API process hears the notices that
 * any process publishes (channels under REDIS_PREFIX).
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly pub: Redis;
  private readonly sub: Redis;

  constructor(
    private readonly context: INestApplicationContext,
    private readonly options: RedisIoOptions,
  ) {
    super(context);
    // No retry limit: the adapter does not catch its (p)subscribe calls, and a rejection while
    // Redis is away would end the process. They wait for Redis instead.
    this.pub = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.sub = this.pub.duplicate();
    // ioredis reconnects by itself; the readiness check reports Redis being away.
    for (const client of [this.pub, this.sub]) client.on('error', () => undefined);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const { corsOrigins } = this.options;
    const server = super.createIOServer(port, {
      ...options,
      // Clients send a key and small subscribe messages; Socket.IO's default of 1 MB per message
      // would let anyone, before the handshake's key is checked, make the process parse 1 MB of
      // JSON at a time. A larger message closes the connection.
      maxHttpBufferSize: MAX_CLIENT_MESSAGE_BYTES,
      ...(corsOrigins.length ? { cors: { origin: [...corsOrigins] } } : {}),
    }) as Server;
    // Notices reach this process through the subscriber: when it comes back after closing, some
    // may have been lost, and the relay catches its followers up.
    this.context.get(BatchEventRelay, { strict: false }).watch(this.sub);
    server.adapter(
      createAdapter(this.pub, this.sub, { key: socketIoKey(this.options.redisPrefix) }),
    );
    return server;
  }

  override async dispose(): Promise<void> {
    await super.dispose();
    // quit() would wait for a Redis that is away; then there is nothing to say goodbye to.
    await Promise.all(
      [this.pub, this.sub].map(async (client) => {
        if (client.status !== 'ready') return client.disconnect();
        await client.quit().catch(() => client.disconnect());
      }),
    );
  }
}
