// SMS-pumping defences on destinations (issue 12): countries (ALLOWED_COUNTRIES, narrowed per
// account), numbers of no country (001), and number types (BLOCKED_NUMBER_TYPES). A refused
// destination is a 400 like any other invalid recipient, and nothing is stored.
import request from 'supertest';
import { api, useApp, useIsolatedApp, type ApiClient } from './support/api';
import { createAccount, logLines, type RunningApp } from './support/app-process';
import { query, tableCounts } from './support/database';
import { testEnv } from './support/test-env';
import { recipients, TEMPLATE, type RecipientInput } from './factories/batch.factory';

interface Detail {
  path: string;
  message: string;
  index?: number;
  code?: string;
}

const PREMIUM_US = '+1 900 555 0123';
const PREMIUM_UK = '+44 909 879 0123';
const SATELLITE_881 = '+881 234 567 890';
const NETWORK_882 = '+882 35 1234 5678';
const FRENCH_MOBILE = '+33 6 12 34 56 78';
const UK_MOBILE = '+44 7400 123456';
const US_NUMBER = '+1 415 555 0123';

const PREMIUM_RATE = 'is a premium-rate number, which this service does not send to';
const NO_COUNTRY =
  'belongs to no country (an international network such as +881 satellite or +882/+883), which this account does not send to';
const notIn = (country: string) => `is in ${country}, a country this account does not send to`;

const recipient = (phoneNumber: string, i = 0): RecipientInput => ({
  phoneNumber,
  variables: { name: `Name${i}`, code: String(1000 + i) },
});

/** `phoneNumber` at index 1 of three otherwise valid US recipients. */
const withNumberAt1 = (phoneNumber: string) => {
  const list = recipients(3);
  list[1] = recipient(phoneNumber, 1);
  return { text: TEMPLATE, recipients: list, options: { autoStart: false } };
};

const refusal = (index: number, phoneNumber: string, message: string): Detail => ({
  path: `recipients[${index}].phoneNumber`,
  index,
  code: 'DESTINATION_NOT_ALLOWED',
  message: `"${phoneNumber}" ${message}`,
});

/** The account's batch ids, newest first (one page is enough: the tests make few). */
async function batchIds(client: ApiClient): Promise<string[]> {
  const response = await client.get('/api/batch?limit=500').expect(200);
  return (response.body as { items: { id: string }[] }).items.map((item) => item.id);
}

/**
 * Posts `body` expecting a 400 VALIDATION_FAILED with exactly `details`, and proves nothing was
 * stored: the same row counts, and the account's list shows no new batch.
 */
async function expectRefused(
  client: ApiClient,
  databaseUrl: string,
  body: unknown,
  details: Detail[],
): Promise<{ message: string; details: Detail[] }> {
  const [countsBefore, idsBefore] = [await tableCounts(databaseUrl), await batchIds(client)];
  const response = await client.post('/api/batch', body).expect(400);
  expect(response.body).toMatchObject({ statusCode: 400, error: 'VALIDATION_FAILED' });
  expect(response.body.details).toEqual(details);
  expect(await tableCounts(databaseUrl)).toEqual(countsBefore);
  expect(await batchIds(client)).toEqual(idsBefore);
  return response.body;
}

async function expectAccepted(client: ApiClient, phoneNumber: string): Promise<void> {
  const response = await client.post('/api/batch', withNumberAt1(phoneNumber));
  expect({ status: response.status, body: response.body as unknown }).toMatchObject({
    status: 201,
  });
}

/** The value of one series in the Prometheus text, 0 when absent. */
async function refusals(app: RunningApp, reason: string): Promise<number> {
  const text = (await request(app.url).get('/metrics').expect(200)).text;
  const series = `salvo_refusals_total{reason="${reason}"} `;
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? 0 : Number(line.slice(series.length));
}

const warnsOfPumping = (app: RunningApp) =>
  logLines(app).some(
    (line) => line.level === 'warn' && String(line.msg).includes('ALLOWED_COUNTRIES is empty'),
  );

describe('destinations with the defaults: every country, no number of no country, risky types refused', () => {
  const service = useApp();
  const refuse = (body: unknown, details: Detail[]) =>
    expectRefused(service.client, testEnv().databaseUrl, body, details);

  it('warns at boot that any country may be sent to, naming SMS pumping', () => {
    expect(warnsOfPumping(service.app)).toBe(true);
    expect(
      logLines(service.app).find((line) => String(line.msg).includes('ALLOWED_COUNTRIES')),
    ).toMatchObject({ msg: expect.stringMatching(/SMS pumping/) });
  });

  it.each<[string, string, string]>([
    ['US premium rate (+1 900)', PREMIUM_US, PREMIUM_RATE],
    ['UK premium rate (+44 909)', PREMIUM_UK, PREMIUM_RATE],
    ['a satellite number (+881)', SATELLITE_881, NO_COUNTRY],
    ['an international network number (+882)', NETWORK_882, NO_COUNTRY],
  ])('refuses %s with its own detail, and stores nothing', async (_case, phoneNumber, message) => {
    const body = await refuse(withNumberAt1(phoneNumber), [refusal(1, phoneNumber, message)]);
    expect(body.message).toBe(
      `The request is invalid: recipients[1].phoneNumber "${phoneNumber}" ${message}.`,
    );
  });

  it.each([FRENCH_MOBILE, UK_MOBILE, US_NUMBER, '+1 800 555 0199'])(
    'sends to %s (a country, an allowed type)',
    async (phoneNumber) => {
      await expectAccepted(service.client, phoneNumber);
    },
  );

  it('refuses a large batch whole when some recipients are refused, listing every problem by index', async () => {
    // Over two pipeline steps of 10,000 and the parser's thread threshold: the refusals of the
    // second step are found after the first step's rows went into the COPY, which rolls back.
    const list = recipients(12_000);
    list[3] = recipient(PREMIUM_US, 3);
    list[7_000] = recipient('+1 202 555 01', 7_000);
    list[10_500] = recipient(NETWORK_882, 10_500);
    list[11_999] = recipient(PREMIUM_UK, 11_999);
    const typesBefore = await refusals(service.app, 'destination_type');
    const countriesBefore = await refusals(service.app, 'destination_country');

    await refuse({ text: TEMPLATE, recipients: list, options: { autoStart: false } }, [
      refusal(3, PREMIUM_US, PREMIUM_RATE),
      {
        path: 'recipients[7000].phoneNumber',
        index: 7_000,
        message: '"+1 202 555 01" is not a valid phone number',
      },
      refusal(10_500, NETWORK_882, NO_COUNTRY),
      refusal(11_999, PREMIUM_UK, PREMIUM_RATE),
    ]);
    // Counted per refused recipient, by reason.
    expect(await refusals(service.app, 'destination_type')).toBe(typesBefore + 2);
    expect(await refusals(service.app, 'destination_country')).toBe(countriesBefore + 1);
  });

  it('lists refused destinations with the other problems of the request, sorted by index', async () => {
    const list = recipients(4);
    list[0] = recipient(SATELLITE_881, 0);
    list[2] = { phoneNumber: list[2].phoneNumber, variables: { name: 'x' } };
    list[3] = recipient(PREMIUM_US, 3);
    await refuse({ text: TEMPLATE, recipients: list }, [
      refusal(0, SATELLITE_881, NO_COUNTRY),
      { path: 'recipients[2].variables.code', index: 2, message: expect.any(String) as string },
      refusal(3, PREMIUM_US, PREMIUM_RATE),
    ]);
  });
});

describe('ALLOWED_COUNTRIES=US,GB, and an account narrowed to US', () => {
  const service = useIsolatedApp('destinations_us_gb', { ALLOWED_COUNTRIES: 'US,GB' });
  const name = 'narrowed to US';
  let narrowed: ApiClient;
  const narrow = (countries: string[]) =>
    query(service.databaseUrl, 'UPDATE accounts SET allowed_countries = $1 WHERE name = $2', [
      countries,
      name,
    ]);

  beforeAll(async () => {
    const { key } = await createAccount(name, service.databaseUrl);
    narrowed = api(service.app, key);
    await narrow(['US']);
  });

  it('does not warn about SMS pumping at boot', () => {
    expect(warnsOfPumping(service.app)).toBe(false);
  });

  it.each([US_NUMBER, UK_MOBILE])('sends to %s, in a listed country', async (phoneNumber) => {
    await expectAccepted(service.client, phoneNumber);
  });

  it.each<[string, string, string]>([
    ['a French number', FRENCH_MOBILE, notIn('FR')],
    ['a Guernsey number (+44 but not GB)', '+44 7911 123456', notIn('GG')],
    ['a +882 number (001 not listed)', NETWORK_882, NO_COUNTRY],
    ['premium rate in a listed country', PREMIUM_US, PREMIUM_RATE],
  ])('refuses %s', async (_case, phoneNumber, message) => {
    await expectRefused(service.client, service.databaseUrl, withNumberAt1(phoneNumber), [
      refusal(1, phoneNumber, message),
    ]);
  });

  it('refuses a UK number to the account narrowed to US, and sends its US numbers', async () => {
    await expectRefused(narrowed, service.databaseUrl, withNumberAt1(UK_MOBILE), [
      refusal(1, UK_MOBILE, notIn('GB')),
    ]);
    await expectAccepted(narrowed, US_NUMBER);
    // The other account still sends to GB.
    await expectAccepted(service.client, UK_MOBILE);
  });

  it("cannot be widened by the account's list: FR stays refused when the account lists it", async () => {
    await narrow(['US', 'FR']);
    try {
      await expectRefused(narrowed, service.databaseUrl, withNumberAt1(FRENCH_MOBILE), [
        refusal(1, FRENCH_MOBILE, notIn('FR')),
      ]);
      await expectAccepted(narrowed, US_NUMBER);
    } finally {
      await narrow(['US']);
    }
  });
});

describe('ALLOWED_COUNTRIES=US,001 and BLOCKED_NUMBER_TYPES=none', () => {
  const service = useIsolatedApp('destinations_001', {
    ALLOWED_COUNTRIES: 'US,001',
    BLOCKED_NUMBER_TYPES: 'none',
  });

  it.each([NETWORK_882, SATELLITE_881, PREMIUM_US])(
    'sends to %s (001 listed, no type blocked)',
    async (phoneNumber) => {
      await expectAccepted(service.client, phoneNumber);
    },
  );

  it('still refuses a country not listed', async () => {
    await expectRefused(service.client, service.databaseUrl, withNumberAt1(PREMIUM_UK), [
      refusal(1, PREMIUM_UK, notIn('GB')),
    ]);
  });
});
