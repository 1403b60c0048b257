// Runs requests through the request-id middleware and pino-http with Salvo's options, and reads the
// JSON lines they write: what a person searching the logs would see.
import express from 'express';
import { pinoHttp } from 'pino-http';
import request from 'supertest';
import { maskedStdout, pinoHttpOptions } from './logger-options';
import { requestIdMiddleware } from './request-id';

const KEY = `salvo_${'k'.repeat(43)}`;

function appWithLog(level: 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const destination = maskedStdout({ write: (line: string) => lines.push(line) });
  const app = express();
  app.use(requestIdMiddleware);
  app.use(express.json());
  app.use(pinoHttp(pinoHttpOptions({ level }), destination));
  app.post('/echo', (req, res) => {
    req.log.info({ to: '+12025550123', nested: { keys: [KEY] } }, `sending to +447911123456`);
    req.log.warn({ headers: { authorization: `Bearer ${KEY}` }, body: 'Your code is 9911' }, 'x');
    req.log.error({ err: new Error(`provider refused +12025550190 with ${KEY}`) }, 'failed');
    res.status(201).json({ ok: true });
  });
  app.get('/fail', (_req, res) => {
    res.status(503).end();
  });
  app.post('/webhooks/twilio/status', (req, res) => {
    res.status(req.query.forged ? 403 : 200).end();
  });
  const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { app, lines, logged };
}

describe('request logs', () => {
  it('carry the request id on every line, and the request line only method, url, status, time', async () => {
    const { app, logged } = appWithLog();
    const response = await request(app)
      .post('/echo?limit=5')
      .set('X-Request-Id', 'req-1')
      .set('Authorization', `Bearer ${KEY}`)
      .set('Cookie', 'session=s3cr3t')
      .send({ text: 'Your code is 9911', recipients: [{ phoneNumber: '+12025550199' }] })
      .expect(201);
    expect(response.headers['x-request-id']).toBe('req-1');

    const lines = logged();
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatchObject({ requestId: 'req-1' });
    const done = lines.find((line) => line.msg === 'request completed');
    expect(done).toEqual({
      level: 'info',
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      requestId: 'req-1',
      req: { id: 'req-1', method: 'POST', url: '/echo?limit=5' },
      res: { statusCode: 201 },
      responseTime: expect.any(Number),
      msg: 'request completed',
    });
  });

  it('generate an id when none is sent, and echo it', async () => {
    const { app, logged } = appWithLog();
    const response = await request(app).get('/fail').expect(503);
    const id = response.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(logged()).toEqual([
      expect.objectContaining({ level: 'error', requestId: id, res: { statusCode: 503 } }),
    ]);
  });

  it('hold no phone number, API key, cookie or message text anywhere', async () => {
    const { app, lines } = appWithLog();
    await request(app)
      .post('/echo')
      .set('Authorization', `Bearer ${KEY}`)
      .set('Cookie', 'session=s3cr3t')
      .send({ text: 'Your code is 9911' })
      .expect(201);
    const output = lines.join('');
    for (const secret of ['+12025550123', '+447911123456', '+12025550190', KEY, 's3cr3t', '9911']) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain('+1********23');
    expect(output).toContain('+44********56');
    expect(output).toContain('provider refused +1********90 with salvo_***');
  });

  it('honour the level', async () => {
    const { app, logged } = appWithLog('warn');
    await request(app).post('/echo').send({}).expect(201);
    expect(logged().map((line) => line.level)).toEqual(['warn', 'error']);
  });

  it("log providers' accepted callbacks at debug, their refusals as warnings", async () => {
    const { app, logged } = appWithLog('info');
    await request(app).post('/webhooks/twilio/status').expect(200);
    // Routes match whatever the case: so does the level.
    await request(app).post('/WEBHOOKS/twilio/status').expect(200);
    await request(app).post('/webhooks/twilio/status?forged=1').expect(403);
    expect(logged().map((line) => [line.level, line.res])).toEqual([['warn', { statusCode: 403 }]]);
  });
});
