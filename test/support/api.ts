// supertest against a running service, authenticated as an account.
import request from 'supertest';
import type { RunningApp } from './app-process';

export function api(app: RunningApp, key: string) {
  const auth = { Authorization: `Bearer ${key}` };
  return {
    get: (path: string) => request(app.url).get(path).set(auth),
    post: (path: string, body?: unknown) =>
      request(app.url)
        .post(path)
        .set(auth)
        .send(body as object),
  };
}
