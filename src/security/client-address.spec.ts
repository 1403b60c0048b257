// The client address under TRUST_PROXY, checked against what express answers in req.ip.
import express from 'express';
import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import { clientAddress } from './client-address';

/** What express itself says with `trust proxy` set to `hops`, and what clientAddress says. */
async function bothAnswers(hops: number, forwardedFor?: string) {
  const app = express();
  app.set('trust proxy', hops);
  app.get('/', (req, res) => {
    res.json({ express: req.ip, ours: clientAddress(req as IncomingMessage, hops) });
  });
  const call = request(app).get('/');
  if (forwardedFor !== undefined) call.set('X-Forwarded-For', forwardedFor);
  return (await call.expect(200)).body as { express: string; ours: string };
}

const PEER = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

describe('clientAddress', () => {
  it.each<[string, number, string | undefined, RegExp | string]>([
    ['no proxy trusted, no header: the peer', 0, undefined, PEER],
    ['no proxy trusted: a forged header is ignored', 0, '6.6.6.6', PEER],
    ['one hop: the last entry', 1, '203.0.113.7', '203.0.113.7'],
    ['one hop: entries a client prepended are ignored', 1, '6.6.6.6, 203.0.113.7', '203.0.113.7'],
    [
      'two hops: the second entry from the right',
      2,
      '6.6.6.6, 203.0.113.7, 10.0.0.2',
      '203.0.113.7',
    ],
    ['more hops than entries: the leftmost entry', 5, '203.0.113.7, 10.0.0.2', '203.0.113.7'],
    ['one hop without the header: the peer', 1, undefined, PEER],
    ['spaces and empty entries', 1, ' 6.6.6.6 ,, 203.0.113.7 ', '203.0.113.7'],
  ])('%s', async (_case, hops, header, expected) => {
    const answers = await bothAnswers(hops, header);
    expect(answers.ours).toBe(answers.express);
    if (typeof expected === 'string') expect(answers.ours).toBe(expected);
    else expect(answers.ours).toMatch(expected);
  });
});
