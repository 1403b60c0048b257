// The Socket.IO client events the built service handles, read from Nest's metadata on the compiled
// gateway classes in dist/ (what @WebSocketGateway and @SubscribeMessage record), so that a sweep
// covers an event or a gateway added later without a list kept by hand.
import 'reflect-metadata';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  GATEWAY_METADATA,
  GATEWAY_OPTIONS,
  MESSAGE_MAPPING_METADATA,
  MESSAGE_METADATA,
} from '@nestjs/websockets/constants';

const DIST = join(__dirname, '..', '..', 'dist');

export interface ClientEvent {
  gateway: string;
  namespace: string;
  event: string;
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsFiles(path);
    return path.endsWith('.js') ? [path] : [];
  });
}

function methodsOf(prototype: object): [string, unknown][] {
  return Object.getOwnPropertyNames(prototype)
    .filter((name) => name !== 'constructor')
    .map((name) => [name, Object.getOwnPropertyDescriptor(prototype, name)?.value]);
}

export function clientEvents(): ClientEvent[] {
  const events: ClientEvent[] = [];
  // Only modules that declare a gateway are loaded (main.js would start the service).
  const gatewayFiles = jsFiles(DIST).filter((file) =>
    readFileSync(file, 'utf8').includes('WebSocketGateway)('),
  );
  for (const file of gatewayFiles) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(file) as Record<string, unknown>;
    for (const value of Object.values(exported)) {
      if (typeof value !== 'function' || !Reflect.getMetadata(GATEWAY_METADATA, value)) continue;
      const options = (Reflect.getMetadata(GATEWAY_OPTIONS, value) ?? {}) as {
        namespace?: unknown;
      };
      const namespace = typeof options.namespace === 'string' ? options.namespace : '/';
      for (const [, method] of methodsOf(value.prototype as object)) {
        if (typeof method !== 'function') continue;
        if (!Reflect.getMetadata(MESSAGE_MAPPING_METADATA, method)) continue;
        const event = Reflect.getMetadata(MESSAGE_METADATA, method) as unknown;
        if (typeof event === 'string') events.push({ gateway: value.name, namespace, event });
      }
    }
  }
  return events;
}
