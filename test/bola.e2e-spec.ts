// BOLA sweep: every route of the OpenAPI document and every Socket.IO client event of the built
// gateways, called by a second account on the first account's ids, answers exactly as for an id
// that does not exist and shows nothing of the first account. Routes and events added later are
// swept without editing this file: a route's ids are those of its collection (the path before its
// first parameter, e.g. /api/keys for DELETE /api/keys/{id}), read from the victim's own list.
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { io, type Socket } from 'socket.io-client';
import { useIsolatedApp, type ApiClient } from './support/api';
import { createAccount } from './support/app-process';
import { batchStatus, waitForStatus, type BatchStatusBody } from './support/dispatch';
import { clientEvents } from './support/gateway-events';
import {
  exampleOf,
  fetchOpenApi,
  fillPath,
  operations,
  type OpenApiDocument,
  type Operation,
} from './support/openapi';
import { testEnv } from './support/test-env';
import { scripted } from './factories/batch.factory';

/** Where the sweep puts an id before comparing two answers. */
const PLACEHOLDER = '<id>';
const OBSERVE_MS = 6_000;

interface Answer {
  status: number;
  body: unknown;
  text: string;
  headers: Record<string, string>;
}

/** The victim: what it owns, and every string that would show its data in another's answer. */
interface Victim {
  client: ApiClient;
  key: string;
  marker: string;
  /** Batch ids by the state the batch is left in. */
  batches: Record<'running' | 'pending' | 'paused' | 'finished' | 'cancelled', string>;
  /**
   * The victim's resources by collection path, then by a label: the batches above under
   * /api/batch; any other collection's items as its own GET lists them.
   */
  resources: Map<string, Record<string, Record<string, string>>>;
  /** Header values the victim sent, by header name (lower case). */
  headers: Record<string, string>;
  /** Batch, message and other ids of the victim, phone numbers, the marker in its texts. */
  secrets: Set<string>;
}

function normalise(answer: Answer, id: string): { status: number; body: unknown } {
  const text = answer.text.split(id).join(PLACEHOLDER);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    // Per-request values: they differ between any two calls.
    delete (body as Record<string, unknown>).correlationId;
    delete (body as Record<string, unknown>).requestId;
  }
  return { status: answer.status, body };
}

/** The victim's secrets found in an answer, after the id the caller sent was taken out. */
function leaks(victim: Victim, seen: string, sentId?: string): string[] {
  const text = sentId ? seen.split(sentId).join(PLACEHOLDER) : seen;
  return [...victim.secrets].filter((secret) => text.includes(secret));
}

function answerText(answer: Answer): string {
  return `${answer.text}\n${JSON.stringify(answer.headers)}`;
}

async function call(
  app: { url: string },
  key: string,
  operation: Operation,
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<Answer> {
  let req = request(app.url)[operation.method](path).set('Authorization', `Bearer ${key}`);
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  const response = body === undefined ? await req : await req.send(body as object);
  return {
    status: response.status,
    body: response.body as unknown,
    text: response.text ?? '',
    headers: response.headers,
  };
}

function query(values: Record<string, string>): string {
  const entries = Object.entries(values);
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}

/** A request body built from the operation's schema, or none. */
function bodyOf(doc: OpenApiDocument, operation: Operation): unknown {
  return operation.body ? exampleOf(doc, operation.body.schema) : undefined;
}

/**
 * The query strings to try on an operation: none, every parameter at its documented example (or
 * first enum value), and the victim's own `nextCursor` for that list (read as the victim).
 */
async function queryVariants(
  doc: OpenApiDocument,
  operation: Operation,
  victim: Victim,
  app: { url: string },
  pathValues: Record<string, string>,
): Promise<string[]> {
  const params = operation.parameters.filter((p) => p.in === 'query');
  if (!params.length) return [''];
  const variants = [''];
  const examples: Record<string, string> = {};
  for (const param of params) {
    if (param.name === 'cursor') continue;
    const value = param.example ?? (param.schema ? exampleOf(doc, param.schema) : undefined);
    if (value !== undefined) {
      examples[param.name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  variants.push(query(examples));
  if (operation.method === 'get' && params.some((p) => p.name === 'cursor')) {
    const limit: Record<string, string> = params.some((p) => p.name === 'limit')
      ? { limit: '1' }
      : {};
    const path = fillPath(operation.path, pathValues);
    const own = await call(app, victim.key, operation, `${path}${query(limit)}`, {}, undefined);
    const cursor = (own.body as { nextCursor?: unknown } | undefined)?.nextCursor;
    if (typeof cursor === 'string') variants.push(query({ ...limit, cursor }));
  }
  return variants;
}

/** The operation's header parameters, with the values the victim sends. */
function headerValues(operation: Operation, victim: Victim): Record<string, string> {
  const values: Record<string, string> = {};
  for (const param of operation.parameters.filter((p) => p.in === 'header')) {
    const value = victim.headers[param.name.toLowerCase()];
    if (value !== undefined) values[param.name] = value;
  }
  return values;
}

/** Every string of an answer that looks like an id, to add the victim's to its secrets. */
function idsIn(value: unknown): string[] {
  return (
    JSON.stringify(value ?? null).match(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi,
    ) ?? []
  );
}

/** The collection an id route belongs to: its path before the first parameter. */
function collectionOf(operation: Operation): string {
  return operation.path.slice(0, operation.path.indexOf('/{')).replace(/\/$/, '');
}

/** A list answer's items: `items` of an object, or the array itself. */
function itemsOf(body: unknown): Record<string, unknown>[] {
  const items = Array.isArray(body) ? body : (body as { items?: unknown } | null)?.items;
  return Array.isArray(items) ? (items as Record<string, unknown>[]) : [];
}

/** Path values from a listed item: each parameter from the item's field of that name. */
function pathValuesOf(
  item: Record<string, unknown>,
  names: string[],
): Record<string, string> | null {
  const values: Record<string, string> = {};
  for (const name of names) {
    const value = item[name];
    if (typeof value !== 'string' && typeof value !== 'number') return null;
    values[name] = String(value);
  }
  return values;
}

/**
 * The victim's resources of every collection an id route belongs to, besides batches: what the
 * collection's GET lists for the victim, after one POST of its example body when it lists none.
 */
async function discoverResources(
  doc: OpenApiDocument,
  app: { url: string },
  victim: Victim,
): Promise<void> {
  const all = operations(doc);
  for (const operation of all.filter((o) => o.pathParameters.length)) {
    const collection = collectionOf(operation);
    if (collection === '/api/batch' || victim.resources.has(collection)) continue;
    const list = all.find((o) => o.method === 'get' && o.path === collection);
    const create = all.find((o) => o.method === 'post' && o.path === collection);
    const read = async () =>
      list ? itemsOf((await call(app, victim.key, list, collection, {}, undefined)).body) : [];
    let items = await read();
    if (!items.length && create) {
      await call(app, victim.key, create, collection, {}, bodyOf(doc, create));
      items = await read();
    }
    const found: Record<string, Record<string, string>> = {};
    items.forEach((item, i) => {
      const values = pathValuesOf(item, operation.pathParameters);
      if (values) found[`item ${i}`] = values;
      for (const id of idsIn(item)) victim.secrets.add(id);
    });
    if (!Object.keys(found).length) {
      throw new Error(`The victim has no ${collection} to sweep ${operation.name} with.`);
    }
    victim.resources.set(collection, found);
  }
}

/** The victim's path values to try on an id route, by label. */
function victimTargets(victim: Victim, operation: Operation): [string, Record<string, string>][] {
  const collection = collectionOf(operation);
  if (collection === '/api/batch') {
    return Object.entries(victim.batches).map(([state, id]) => [
      `the ${state} batch`,
      Object.fromEntries(operation.pathParameters.map((name) => [name, id])),
    ]);
  }
  return Object.entries(victim.resources.get(collection) ?? {}).map(([label, values]) => [
    `${collection} ${label}`,
    values,
  ]);
}

async function setUpVictim(client: ApiClient, key: string): Promise<Victim> {
  const marker = `victim-${randomBytes(6).toString('hex')}`;
  const text = `${marker} {{name}}, code {{code}}`;
  let next = 1000;
  const recipients = (count: number) =>
    Array.from({ length: count }, () => {
      const n = next++;
      return {
        phoneNumber: `+1202555${n}`,
        variables: { name: `${marker}-name-${n}`, code: String(n) },
      };
    });
  const secrets = new Set<string>([marker]);
  const create = async (body: Record<string, unknown>) => {
    const created = await client.post('/api/batch', { text, ...body }).expect(201);
    for (const recipient of body.recipients as { phoneNumber: string }[]) {
      if (!recipient.phoneNumber.startsWith('+120255501')) secrets.add(recipient.phoneNumber);
    }
    return (created.body as BatchStatusBody).id;
  };
  // Low priority (2 a second) and many recipients: it sends through the whole sweep.
  const running = await create({ recipients: recipients(400), options: { priority: 'low' } });
  const pending = await create({ recipients: recipients(5), options: { autoStart: false } });
  const paused = await create({ recipients: recipients(400), options: { priority: 'low' } });
  await client.post(`/api/batch/${paused}/pause`).expect(200);
  const finished = await create({
    recipients: [...recipients(3), scripted(0), scripted(1)],
    options: { priority: 'high' },
  });
  const cancelled = await create({ recipients: recipients(5), options: { autoStart: false } });
  await client.post(`/api/batch/${cancelled}/cancel`).expect(200);
  await waitForStatus(client, finished, ['completed']);

  const batches = { running, pending, paused, finished, cancelled };
  for (const id of Object.values(batches)) {
    secrets.add(id);
    // Message ids too: a leak of the message log would show them.
    const log = await client.get(`/api/batch/${id}/messages?limit=500`).expect(200);
    for (const id of idsIn(log.body)) secrets.add(id);
  }
  return {
    client,
    key,
    marker,
    batches,
    resources: new Map(),
    // Sent by the victim first in the sweep of routes without ids, then by the attacker.
    headers: { 'idempotency-key': `${marker}-idempotency` },
    secrets,
  };
}

describe('BOLA sweep from the OpenAPI document and the gateways', () => {
  const service = useIsolatedApp('bola', { RATE_LIMIT_LOW: '2' });
  let doc: OpenApiDocument;
  let victim: Victim;
  let attackerKey: string;
  let before: Record<string, BatchStatusBody>;

  beforeAll(async () => {
    doc = await fetchOpenApi(service.app);
    victim = await setUpVictim(service.client, testEnv().bootstrapApiKey);
    await discoverResources(doc, service.app, victim);
    attackerKey = (await createAccount('Attacker', service.databaseUrl)).key;
    before = {};
    for (const [state, id] of Object.entries(victim.batches)) {
      before[state] = await batchStatus(victim.client, id);
    }
  }, 120_000);

  it('finds routes with and without ids, and client events, to sweep', () => {
    const all = operations(doc);
    expect(all.filter((o) => o.pathParameters.length).length).toBeGreaterThanOrEqual(8);
    expect(all.filter((o) => !o.pathParameters.length).length).toBeGreaterThanOrEqual(3);
    expect(clientEvents().length).toBeGreaterThanOrEqual(2);
  });

  it("answers every route on another account's ids exactly as on an unknown id, and shows nothing of it", async () => {
    const differences: string[] = [];
    const found: string[] = [];
    for (const operation of operations(doc).filter((o) => o.pathParameters.length)) {
      for (const [target, victimValues] of victimTargets(victim, operation)) {
        // An unknown resource of the same shape: each value replaced by a fresh UUID.
        const unknownValues = Object.fromEntries(
          Object.keys(victimValues).map((name) => [name, randomUUID()]),
        );
        const victimId = Object.values(victimValues)[0];
        const unknownId = Object.values(unknownValues)[0];
        for (const qs of await queryVariants(doc, operation, victim, service.app, victimValues)) {
          const headers = headerValues(operation, victim);
          const body = bodyOf(doc, operation);
          const unknown = await call(
            service.app,
            attackerKey,
            operation,
            fillPath(operation.path, unknownValues) + qs,
            headers,
            body,
          );
          const foreign = await call(
            service.app,
            attackerKey,
            operation,
            fillPath(operation.path, victimValues) + qs,
            headers,
            body,
          );
          const what = `${operation.name}${qs} on ${target}`;
          const [a, b] = [normalise(unknown, unknownId), normalise(foreign, victimId)];
          if (JSON.stringify(a) !== JSON.stringify(b)) {
            differences.push(
              `${what}: unknown id ${JSON.stringify(a)}, foreign ${JSON.stringify(b)}`,
            );
          }
          if (foreign.status < 400) found.push(`${what} answered ${foreign.status}`);
          const leaked = leaks(victim, answerText(foreign), victimId);
          if (leaked.length) found.push(`${what} shows ${leaked.join(', ')}`);
        }
      }
    }
    expect(differences).toEqual([]);
    expect(found).toEqual([]);
  });

  it('shows nothing of the other account on routes without ids (lists, create, preview), even with its cursors and headers', async () => {
    const found: string[] = [];
    for (const operation of operations(doc).filter((o) => !o.pathParameters.length)) {
      const headers = headerValues(operation, victim);
      const body = bodyOf(doc, operation);
      // The victim makes the same request first (same body, same headers): whatever it creates
      // or keys under its headers becomes a secret the attacker's identical request must not see.
      const own = await call(service.app, victim.key, operation, operation.path, headers, body);
      if (own.status < 300 && operation.method !== 'get') {
        for (const id of idsIn(own.body)) victim.secrets.add(id);
      }
      for (const qs of await queryVariants(doc, operation, victim, service.app, {})) {
        const key = operation.secured ? attackerKey : 'none';
        const answer = await call(service.app, key, operation, operation.path + qs, headers, body);
        const leaked = leaks(victim, answerText(answer));
        if (leaked.length) {
          found.push(
            `${operation.name}${qs} answered ${answer.status} showing ${leaked.join(', ')}`,
          );
        }
      }
    }
    expect(found).toEqual([]);
  });

  it("hears nothing of another account's batches on any client event, while they run", async () => {
    const events = clientEvents();
    const payloads: Record<string, (id: string) => unknown> = {
      '{ batchId }': (id) => ({ batchId: id }),
      '{ id }': (id) => ({ id }),
      'the id alone': (id) => id,
      '[id]': (id) => [id],
      '{ batchIds: [id] }': (id) => ({ batchIds: [id] }),
    };
    const heard: { socket: string; event: string; payload: string }[] = [];
    const sockets: Socket[] = [];
    const open = async (namespace: string, key: string, name: string): Promise<Socket> => {
      const socket = io(`${service.app.url}${namespace}`, {
        auth: { token: key },
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      socket.onAny((event: string, ...args: unknown[]) =>
        heard.push({ socket: name, event, payload: JSON.stringify(args) }),
      );
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      return socket;
    };
    const ask = (socket: Socket, event: string, payload: unknown) =>
      socket.timeout(5_000).emitWithAck(event, payload) as Promise<unknown>;

    try {
      // The victim follows its running batch and everything: proof that events flowed meanwhile.
      const namespaces = [...new Set(events.map((e) => e.namespace))];
      const own = await open(namespaces[0], victim.key, 'victim');
      await ask(own, 'subscribe', { all: true });
      await ask(own, 'subscribe', { batchId: victim.batches.running });

      const differences: string[] = [];
      for (const { namespace, event } of events) {
        for (const [shape, payload] of Object.entries(payloads)) {
          const socket = await open(namespace, attackerKey, `${event} ${shape}`);
          for (const [state, victimId] of Object.entries(victim.batches)) {
            const unknownId = randomUUID();
            const unknown = JSON.stringify(await ask(socket, event, payload(unknownId)));
            const foreign = JSON.stringify(await ask(socket, event, payload(victimId)));
            const [a, b] = [
              unknown.split(unknownId).join(PLACEHOLDER),
              foreign.split(victimId).join(PLACEHOLDER),
            ];
            if (a !== b) {
              differences.push(
                `${event} ${shape} on the ${state} batch: unknown id ${a}, foreign ${b}`,
              );
            }
          }
        }
        const all = await open(namespace, attackerKey, `${event} { all: true }`);
        await ask(all, event, { all: true });
      }

      // While the attacker's sockets listen: the running batch sends, a new batch is created,
      // runs and fails some messages, the paused one is resumed and paused again.
      const observing = Date.now();
      const extra = (
        await victim.client
          .post('/api/batch', {
            text: `${victim.marker} {{name}}, code {{code}}`,
            recipients: [
              { phoneNumber: '+12025553001', variables: { name: victim.marker, code: '1' } },
              scripted(0),
              scripted(5),
            ],
            options: { priority: 'high' },
          })
          .expect(201)
      ).body.id as string;
      victim.secrets.add(extra);
      await victim.client.post(`/api/batch/${victim.batches.paused}/resume`).expect(200);
      await sleep(1_000);
      await victim.client.post(`/api/batch/${victim.batches.paused}/pause`).expect(200);
      await sleep(Math.max(0, OBSERVE_MS - (Date.now() - observing)));

      const names = new Map<string, string>([
        ...Object.entries(victim.batches).map(([state, id]) => [id, `the ${state} batch`] as const),
        [extra, 'the batch created while observing'],
      ]);
      const named = (secret: string) =>
        names.has(secret) ? `${secret} (${names.get(secret)})` : secret;
      const victimHeard = heard.filter((h) => h.socket === 'victim');
      expect(victimHeard.some((h) => h.payload.includes(victim.batches.running))).toBe(true);
      expect(victimHeard.some((h) => h.payload.includes(extra))).toBe(true);

      const overheard = heard
        .filter((h) => h.socket !== 'victim')
        .filter((h) => leaks(victim, h.payload).length)
        .map(
          (h) =>
            `${h.socket} heard ${h.event} about ${leaks(victim, h.payload).map(named).join(', ')}`,
        );
      expect(differences).toEqual([]);
      expect([...new Set(overheard)]).toEqual([]);
    } finally {
      for (const socket of sockets) socket.close();
    }
  });

  it("left the other account's batches as they were", async () => {
    for (const [state, id] of Object.entries(victim.batches)) {
      const now = await batchStatus(victim.client, id);
      expect({ state, status: now.status }).toEqual({ state, status: before[state].status });
      if (state !== 'running' && state !== 'paused')
        expect(now.progress).toEqual(before[state].progress);
    }
  });

  it('sent requests that reach the ownership check: the owner of a batch gets neither 404 nor 400 from them', async () => {
    // Without this, a body or query the service refused as invalid would answer the same 400 for
    // a foreign and an unknown id, and the sweep above would pass having tested nothing.
    const missed: string[] = [];
    const all = operations(doc);
    for (const operation of all.filter((o) => o.pathParameters.length)) {
      // A resource of its own per operation: the owner's call may start, pause, cancel or delete
      // it. A batch as below; of any other collection, what a POST of its example body made.
      const collection = collectionOf(operation);
      let values: Record<string, string>;
      if (collection === '/api/batch') {
        const { id } = (
          await victim.client
            .post('/api/batch', {
              text: `control ${victim.marker}`,
              recipients: [{ phoneNumber: '+12025550100' }],
              options: { autoStart: false },
            })
            .expect(201)
        ).body as { id: string };
        values = Object.fromEntries(operation.pathParameters.map((name) => [name, id]));
      } else {
        // Made now by a POST of its example body, never one listed before: a listed key may be
        // the very key the victim authenticates with, which the call could revoke or delete.
        const create = all.find((o) => o.method === 'post' && o.path === collection);
        if (!create) {
          throw new Error(`${collection} has no POST to make a resource for ${operation.name}.`);
        }
        const made = await call(
          service.app,
          victim.key,
          create,
          collection,
          {},
          bodyOf(doc, create),
        );
        let own =
          made.status < 300
            ? pathValuesOf(made.body as Record<string, unknown>, operation.pathParameters)
            : null;
        let listed = Object.values(victim.resources.get(collection) ?? {});
        const list = all.find((o) => o.method === 'get' && o.path === collection);
        if (!own && made.status < 300 && list) {
          // A POST that answers counts, not a resource, adds entries named by their values, once
          // however often (POST /api/suppressions: one entry per number): the newest listed.
          const items = itemsOf(
            (await call(service.app, victim.key, list, collection, {}, undefined)).body,
          );
          own = items.length ? pathValuesOf(items[0], operation.pathParameters) : null;
          listed = [];
        }
        if (!own) {
          throw new Error(
            `POST ${collection} with its example body did not make a resource for ${operation.name}: ${made.status} ${made.text.slice(0, 200)}`,
          );
        }
        if (listed.some((before) => JSON.stringify(before) === JSON.stringify(own))) {
          throw new Error(`POST ${collection} answered a resource the victim already had.`);
        }
        values = own;
      }
      for (const qs of await queryVariants(doc, operation, victim, service.app, values)) {
        const answer = await call(
          service.app,
          victim.key,
          operation,
          fillPath(operation.path, values) + qs,
          headerValues(operation, victim),
          bodyOf(doc, operation),
        );
        if (answer.status === 404 || answer.status === 400) {
          missed.push(`${operation.name}${qs}: ${answer.status} ${answer.text.slice(0, 200)}`);
        }
      }
    }
    expect(missed).toEqual([]);
  });
});
