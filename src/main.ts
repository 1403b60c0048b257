import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import {
  adminConfig,
  appConfig,
  proxyConfig,
  redisConfig,
  type AppConfig,
  type ProxyConfig,
  type RedisConfig,
} from './config/configuration';
import { configureHttp } from './http-setup';
import { awaitingContinue } from './http/unread-body';
import { RedisIoAdapter } from './monitoring/gateway/redis-io.adapter';

async function bootstrap(): Promise<void> {
  // Read before Nest starts, because the role and the admin password decide which modules exist.
  const { role } = appConfig();
  const queueBoard = adminConfig().password !== undefined;
  // No global body parser: bodies are read per route, after authentication (request-body/).
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRole(role, { queueBoard }),
    {
      bodyParser: false,
      // Held until the JSON logger below takes over, so start-up lines are JSON too.
      bufferLogs: true,
    },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  configureHttp(app, { docs: role !== 'worker' });
  // TRUST_PROXY: how many proxies' X-Forwarded-For entries req.ip believes (0: none).
  app.set('trust proxy', app.get<ProxyConfig>(proxyConfig.KEY).trustProxy);
  const { port, corsOrigins } = app.get<AppConfig>(appConfig.KEY);
  if (role !== 'worker') {
    const redis = app.get<RedisConfig>(redisConfig.KEY);
    app.useWebSocketAdapter(
      new RedisIoAdapter(app, { redisUrl: redis.url, redisPrefix: redis.prefix, corsOrigins }),
    );
  }
  // Node would answer `Expect: 100-continue` at once, inviting the body before anyone looked at
  // the key: for the API the body reader sends the 100 itself, once the request is authenticated,
  // and for webhooks once the address's throttle let it through (src/webhooks/form-body.ts).
  // Bull Board and Socket.IO read their bodies themselves, and get it at once as before.
  const server = app.getHttpServer();
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // Express matches routes whatever their case: so must this, or `/API/…` got its 100 at once.
    const path = req.url?.toLowerCase() ?? '';
    if (path.startsWith('/api/') || path.startsWith('/webhooks/')) {
      awaitingContinue.add(req);
    } else res.writeContinue();
    server.emit('request', req, res);
  });
  await app.listen(port);
  // PORT=0 picks a free port (tests do); report the one we got.
  const { port: actual } = app.getHttpServer().address() as AddressInfo;
  const docs = role === 'worker' ? '' : '; API docs at /api/docs';
  logger.log(`Salvo (${role}) listening on port ${actual}${docs}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // Configuration errors carry their own clear message; print it without a stack trace.
  const message = error instanceof Error && error.name === 'ConfigError' ? error.message : error;
  console.error(message);
  process.exit(1);
});
