import { describeSettings, parseSetAccountArgs, UsageError } from './account-settings';

describe('account:set arguments', () => {
  it.each<[string, string[], unknown]>([
    ['no flags: only print', ['Acme'], { account: 'Acme', change: {} }],
    ['a name of several words', ['Acme', 'Marketing'], { account: 'Acme Marketing', change: {} }],
    [
      'both quotas',
      ['Acme', '--daily-messages', '500', '--daily-segments=1200'],
      { account: 'Acme', change: { dailyMessageQuota: 500, dailySegmentQuota: 1200 } },
    ],
    [
      '0 (unlimited) and default',
      ['Acme', '--daily-messages', '0', '--daily-segments', 'DEFAULT'],
      { account: 'Acme', change: { dailyMessageQuota: 0, dailySegmentQuota: null } },
    ],
    [
      'countries, normalised, with 001',
      ['Acme', '--countries', ' us,gb ,001,US'],
      { account: 'Acme', change: { allowedCountries: ['US', 'GB', '001'] } },
    ],
    [
      'countries back to the default',
      ['--countries=default', 'Acme'],
      { account: 'Acme', change: { allowedCountries: null } },
    ],
  ])('%s', (_case, argv, expected) => {
    expect(parseSetAccountArgs(argv)).toEqual(expected);
  });

  it.each<[string, string[], string]>([
    ['no account', ['--daily-messages', '5'], 'the account (its id or name) is missing'],
    ['a flag without value', ['Acme', '--daily-messages'], '--daily-messages needs a value'],
    [
      'a flag as value',
      ['Acme', '--countries', '--daily-messages', '5'],
      '--countries needs a value',
    ],
    ['a negative quota', ['Acme', '--daily-messages', '-1'], 'got "-1"'],
    ['a fraction', ['Acme', '--daily-segments', '2.5'], 'got "2.5"'],
    ['a word', ['Acme', '--daily-segments', 'lots'], 'got "lots"'],
    ['too large', ['Acme', '--daily-segments', '1000000000001'], 'got "1000000000001"'],
    ['an unknown country', ['Acme', '--countries', 'US,XX,USA'], 'unknown: XX, USA'],
    ['no country', ['Acme', '--countries', ' , '], 'must list ISO codes'],
    ['an unknown flag', ['Acme', '--daily-sms', '5'], 'unknown option --daily-sms'],
    ['a flag twice', ['Acme', '--daily-messages', '5', '--daily-messages=6'], 'given twice'],
  ])('refuses %s', (_case, argv, problem) => {
    expect(() => parseSetAccountArgs(argv)).toThrow(UsageError);
    expect(() => parseSetAccountArgs(argv)).toThrow(problem);
  });
});

describe("account:set's report", () => {
  const account = {
    id: '0b7c5f1e-6a52-4d7b-9a39-2f1f4f0b1a11',
    name: 'Acme',
    dailyMessageQuota: null,
    dailySegmentQuota: null,
    allowedCountries: null,
  };

  it("says where each setting comes from: the deployment's", () => {
    expect(
      describeSettings(account, { dailyMessages: 1000, dailySegments: 0, allowedCountries: [] }),
    ).toBe(
      'Account "Acme" (0b7c5f1e-6a52-4d7b-9a39-2f1f4f0b1a11):\n' +
        "  daily messages: 1000 a day (UTC) (the deployment's DAILY_MESSAGE_QUOTA)\n" +
        "  daily segments: unlimited (the deployment's DAILY_SEGMENT_QUOTA)\n" +
        "  countries: all (the deployment's ALLOWED_COUNTRIES)\n",
    );
  });

  it("or the account's own, noting countries the deployment refuses anyway", () => {
    const own = {
      ...account,
      dailyMessageQuota: 0,
      dailySegmentQuota: 50,
      allowedCountries: ['US', 'FR'],
    };
    expect(
      describeSettings(own, {
        dailyMessages: 1000,
        dailySegments: 0,
        allowedCountries: ['US', 'GB'],
      }),
    ).toBe(
      'Account "Acme" (0b7c5f1e-6a52-4d7b-9a39-2f1f4f0b1a11):\n' +
        "  daily messages: unlimited (this account's own)\n" +
        "  daily segments: 50 a day (UTC) (this account's own)\n" +
        "  countries: US,FR (this account's own, within ALLOWED_COUNTRIES)\n" +
        '  note: FR is not in ALLOWED_COUNTRIES (US,GB), so still refused\n',
    );
  });
});
