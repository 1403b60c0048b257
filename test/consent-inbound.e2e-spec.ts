// Consent end to end on the built service, with the fake Twilio and the test SMSC on loopback: STOP
// and START through Twilio's signed inbound webhook and as SMPP messages from phones, HELP answered
// once from the sender the number wrote to, and Twilio's 21610 suppressing the number. On a
// database of its own: what it suppresses is suppressed for every account.
import request from 'supertest';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { query } from './support/database';
import { waitForStatus } from './support/dispatch';
import { FAKE_NUMBERS } from './support/fake-twilio';
import { useProvidersApp } from './support/providers-app';
import { waitFor } from './support/wait';

const TWILIO_FROM = '+15005550006';
const SMPP_SOURCE = '+447700900999';
const HELP_REPLY = 'Acme alerts: reply STOP to opt out.';
const INBOUND = '/webhooks/twilio/inbound';

interface Suppression {
  scope: string;
  reason: string;
  source: string;
  account_id: string | null;
}

describe('consent: STOP, START and HELP from phones, opt-outs from providers', () => {
  const providers = useProvidersApp(
    'consent',
    {
      SMS_ROUTES: '+44=smpp;*=twilio',
      TWILIO_FROM,
      SMPP_SOURCE_ADDR: SMPP_SOURCE,
      SMPP_RESPONSE_TIMEOUT_MS: '700',
      PROVIDER_TIMEOUT_MS: '1000',
      TWILIO_LOOKUP_DELAY_MS: '300',
      // A send, the lookup's delay and budget, and the write: 3 × 1000 + 300 + flush + 1000.
      CLAIM_LEASE_MS: '8000',
      PROVIDER_MAX_MPS: '0',
      RATE_LIMIT_NORMAL: '100',
      RECONCILE_INTERVAL_MS: '300',
      HELP_REPLY_TEXT: HELP_REPLY,
    },
    { receipts: null },
  );
  const { twilio, databaseUrl } = providers;

  const suppressions = (phoneNumber: string) =>
    query<Suppression>(
      databaseUrl,
      `SELECT scope, reason, source, account_id FROM suppressions WHERE phone_number = $1`,
      [phoneNumber],
    );
  const inbound = (from: string, body: string) =>
    query<{ id: string; account_id: string | null; action: string; reply_status: string | null }>(
      databaseUrl,
      `SELECT id, account_id, action, reply_status FROM inbound_messages
       WHERE from_number = $1 AND body = $2`,
      [from, body],
    );

  /** A batch of one message to `number`, once it is `status`; answers its id. */
  async function sendTo(number: string, status: 'completed' | 'failed'): Promise<string> {
    const created = await providers.client
      .post('/api/batch', { text: 'Hi', recipients: [{ phoneNumber: number }] })
      .expect(201);
    await waitForStatus(providers.client, created.body.id, [status]);
    return created.body.id as string;
  }

  const accountOf = async (batchId: string) =>
    (
      await query<{ account_id: string }>(
        databaseUrl,
        `SELECT account_id FROM batches WHERE id = $1`,
        [batchId],
      )
    )[0].account_id;

  let sid = 0;
  /** Posts an inbound SMS as Twilio does, signed; answers the params (to post them again). */
  async function twilioInbound(from: string, body: string, to = TWILIO_FROM, again?: object) {
    const params = (again as Record<string, string> | undefined) ?? {
      MessageSid: `SM${String(++sid).padStart(32, '0')}`,
      AccountSid: twilio.accountSid,
      From: from,
      To: to,
      Body: body,
      NumMedia: '0',
    };
    await request(providers.app.url)
      .post(INBOUND)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set(
        'X-Twilio-Signature',
        getExpectedTwilioSignature(
          twilio.authToken,
          `${providers.publicBaseUrl}${INBOUND}`,
          params,
        ),
      )
      .send(new URLSearchParams(params).toString())
      .expect(200);
    return params;
  }

  it('STOP through the signed Twilio webhook suppresses the number for every account, attributed to its sender; START lifts it', async () => {
    const number = '+12025550140';
    const batchId = await sendTo(number, 'completed');

    await twilioInbound(number, 'Stop');
    const [stop] = await inbound(number, 'Stop');
    expect(stop).toMatchObject({ action: 'opt_out', account_id: await accountOf(batchId) });
    expect(await suppressions(number)).toEqual([
      { scope: 'deployment', reason: 'stop_reply', source: stop.id, account_id: null },
    ]);
    // The account's next batch drops the number, and says so; its list shows the entry.
    const recipients = [{ phoneNumber: '+12025550149' }, { phoneNumber: number }];
    const next = await providers.client
      .post('/api/batch', { text: 'Hi', recipients, options: { autoStart: false } })
      .expect(201);
    expect(next.body).toMatchObject({
      progress: { total: 1 },
      suppressedDropped: 1,
      warnings: [{ code: 'SUPPRESSED_RECIPIENT', recipients: [1] }],
    });
    const listed = await providers.client
      .get(`/api/suppressions?phoneNumber=${encodeURIComponent(number)}`)
      .expect(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ phoneNumber: number, reason: 'stop_reply' }),
    ]);

    await twilioInbound(number, 'START');
    expect(await inbound(number, 'START')).toEqual([expect.objectContaining({ action: 'opt_in' })]);
    expect(await suppressions(number)).toEqual([]);
    const after = await providers.client
      .post('/api/batch', { text: 'Hi', recipients, options: { autoStart: false } })
      .expect(201);
    expect(after.body).toMatchObject({ progress: { total: 2 }, suppressedDropped: 0 });
  });

  it('STOP as an SMPP message from a phone suppresses the number, attributed to its sender; START lifts it', async () => {
    const number = '+447911123456';
    const batchId = await sendTo(number, 'completed');
    expect(await providers.smsc.sendMo({ from: number, to: SMPP_SOURCE, text: 'STOP' })).toBe(0);
    const [stop] = await inbound(number, 'STOP');
    expect(stop).toMatchObject({ action: 'opt_out', account_id: await accountOf(batchId) });
    expect(await suppressions(number)).toEqual([
      { scope: 'deployment', reason: 'stop_reply', source: stop.id, account_id: null },
    ]);
    expect(await providers.smsc.sendMo({ from: number, to: SMPP_SOURCE, text: 'start' })).toBe(0);
    expect(await suppressions(number)).toEqual([]);
  });

  it('answers HELP once, from the number it was sent to, even when Twilio posts it twice', async () => {
    const number = '+12025550141';
    const pooled = '+15005550077';
    const params = await twilioInbound(number, 'help', pooled);
    await twilioInbound(number, 'help', pooled, params);
    const [help] = await waitFor('the HELP reply to be sent', async () => {
      const rows = await inbound(number, 'help');
      return rows[0]?.reply_status === 'sent' && rows;
    });
    expect(help.action).toBe('help');
    const replies = twilio.messages.filter((m) => m.to === number);
    expect(replies).toEqual([
      expect.objectContaining({ from: pooled, messagingServiceSid: null, body: HELP_REPLY }),
    ]);
  });

  it('answers HELP over SMPP from the address the phone wrote to', async () => {
    const number = '+447911123457';
    expect(await providers.smsc.sendMo({ from: number, to: SMPP_SOURCE, text: 'INFO' })).toBe(0);
    const submit = await waitFor('the HELP reply submit_sm', () =>
      Promise.resolve(providers.smsc.submits.find((s) => s.destination_addr === number.slice(1))),
    );
    expect(submit).toMatchObject({
      source_addr: SMPP_SOURCE.slice(1),
      source_addr_ton: 1,
      source_addr_npi: 1,
      text: HELP_REPLY,
    });
    await waitFor('the reply to be recorded', async () => {
      const [row] = await inbound(number, 'INFO');
      return row?.reply_status === 'sent';
    });
  });

  it('suppresses a number Twilio answers 21610 for, for every account', async () => {
    await sendTo(FAKE_NUMBERS.optedOut, 'failed');
    expect(await suppressions(FAKE_NUMBERS.optedOut)).toEqual([
      { scope: 'deployment', reason: 'provider_opt_out', source: '21610', account_id: null },
    ]);
    // The account whose batch met the opt-out sees the entry in its list.
    const listed = await providers.client
      .get(`/api/suppressions?reason=provider_opt_out`)
      .expect(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        phoneNumber: FAKE_NUMBERS.optedOut,
        scope: 'deployment',
        reason: 'provider_opt_out',
        source: '21610',
      }),
    ]);
  });
});
