// Checks every configuration section: the documented defaults with nothing set, values read from the
// environment, and bad values stopping the boot with an error that names the variable.
import {
  dispatchConfig,
  accountsConfig,
  adminConfig,
  appConfig,
  configSections,
  databaseConfig,
  ingestConfig,
  EXAMPLE_SECRETS,
  loggingConfig,
  metricsConfig,
  proxyConfig,
  rateLimitConfig,
  redisConfig,
  smsConfig,
  routingConfig,
  socketsConfig,
  throttleConfig,
  destinationsConfig,
  quotaConfig,
  deliveryConfig,
  twilioConfig,
  smppConfig,
  consentConfig,
} from './configuration';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './env';

const VARIABLES = [
  'OPT_OUT_KEYWORDS',
  'OPT_IN_KEYWORDS',
  'HELP_KEYWORDS',
  'HELP_REPLY_TEXT',
  'PORT',
  'APP_ROLE',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'DATABASE_CONNECT_TIMEOUT_MS',
  'DATABASE_QUERY_TIMEOUT_MS',
  'REDIS_COMMAND_TIMEOUT_MS',
  'REDIS_URL',
  'REDIS_PREFIX',
  'BOOTSTRAP_API_KEY',
  'DEFAULT_COUNTRY',
  'DEFAULT_SEND_WINDOW',
  'MAX_RECIPIENTS_PER_REQUEST',
  'MAX_BODY_MB',
  'MAX_CONCURRENT_LARGE_BODIES',
  'LARGE_BODY_WAIT_MS',
  'BODY_IDLE_TIMEOUT_MS',
  'LARGE_BODY_MIN_KBPS',
  'PHONE_WORKERS',
  'IDEMPOTENCY_TTL_HOURS',
  'IDEMPOTENCY_LEASE_MS',
  'RATE_LIMIT_HIGH',
  'RATE_LIMIT_NORMAL',
  'RATE_LIMIT_LOW',
  'PROVIDER_MAX_MPS',
  'SIMULATOR_PROVIDER_MAX_MPS',
  'TWILIO_MAX_MPS',
  'RATE_LIMIT_FLOOR',
  'RATE_LIMIT_DECREASE',
  'RATE_LIMIT_RECOVERY_MPS',
  'RATE_LIMIT_MIN_MPS',
  'RATE_LIMIT_BACKOFF_BASE_MS',
  'RATE_LIMIT_BACKOFF_MAX_MS',
  'SMS_PROVIDER',
  'PROVIDER_TIMEOUT_MS',
  'CLAIM_LEASE_MS',
  'CLAIM_RENEW_MS',
  'SIMULATOR_LATENCY_MS',
  'SIMULATOR_FAILURE_RATE',
  'SIMULATOR_MAX_MPS',
  'SIMULATOR_RECEIPTS',
  'SIMULATOR_DLR_DELAY_MS',
  'RECEIPT_ORPHAN_TTL_HOURS',
  'DELIVERY_RECEIPT_TIMEOUT_HOURS',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'TWILIO_FROM',
  'TWILIO_MESSAGING_SERVICE_SID',
  'TWILIO_API_BASE_URL',
  'TWILIO_MAX_CONCURRENCY',
  'TWILIO_LOOKUP_DELAY_MS',
  'PUBLIC_BASE_URL',
  'SMPP_URL',
  'SMPP_SYSTEM_ID',
  'SMPP_PASSWORD',
  'SMPP_SYSTEM_TYPE',
  'SMPP_SOURCE_ADDR',
  'SMPP_BINDS',
  'SMPP_WINDOW',
  'SMPP_MAX_MPS',
  'SMPP_ENQUIRE_LINK_MS',
  'SMPP_RESPONSE_TIMEOUT_MS',
  'SMPP_RESEND_UNKNOWN',
  'SMPP_RECEIPT_ID_BASE',
  'SMS_ROUTES',
  'BREAKER_FAILURES',
  'BREAKER_COOLDOWN_MS',
  'LOG_LEVEL',
  'ADMIN_PASSWORD',
  'CORS_ORIGINS',
  'QUEUE_BOARD_WRITE',
  'METRICS_TOKEN',
  'TRUST_PROXY',
  'SOCKET_SUBSCRIBES_PER_SECOND',
  'MAX_SUBSCRIPTIONS_PER_SOCKET',
  'MAX_SOCKETS_PER_ACCOUNT',
  'AUTH_FAILURES_PER_MINUTE',
  'REQUESTS_PER_MINUTE',
  'BATCHES_PER_MINUTE',
  'ALLOWED_COUNTRIES',
  'BLOCKED_NUMBER_TYPES',
  'DAILY_MESSAGE_QUOTA',
  'DAILY_SEGMENT_QUOTA',
];

const RATE_LIMIT_DEFAULTS = {
  high: 8,
  normal: 5,
  low: 2,
  providerMaxMps: 30,
  providerCeilings: { simulated: 0, twilio: 0, smpp: 0 },
  floor: 0.1,
  backpressure: {
    decrease: 0.5,
    recoveryMps: 1,
    minimumMps: 1,
    backoffBaseMs: 1_000,
    backoffMaxMs: 30_000,
  },
};

const savedEnv = process.env;
beforeEach(() => {
  process.env = { ...savedEnv };
  for (const name of VARIABLES) delete process.env[name];
});
afterEach(() => {
  process.env = savedEnv;
});

const withEnv = (values: Record<string, string>): void => {
  Object.assign(process.env, values);
};

describe('configuration defaults with nothing set', () => {
  it.each<[string, () => unknown, unknown]>([
    ['app', appConfig, { port: 3000, role: 'all', corsOrigins: [] }],
    [
      'database',
      databaseConfig,
      {
        url: 'postgres://postgres@127.0.0.1:5432/salvo',
        poolSize: 10,
        connectTimeoutMs: 5_000,
        queryTimeoutMs: 30_000,
      },
    ],
    [
      'redis',
      redisConfig,
      { url: 'redis://127.0.0.1:6379', prefix: 'salvo', commandTimeoutMs: 2_000 },
    ],
    ['accounts', accountsConfig, { bootstrapApiKey: undefined }],
    [
      'ingest',
      ingestConfig,
      {
        maxRecipientsPerRequest: 100_000,
        defaultCountry: undefined,
        maxBodyMb: 64,
        maxConcurrentLargeBodies: 2,
        largeBodyWaitMs: 10_000,
        bodyIdleTimeoutMs: 10_000,
        largeBodyMinKbps: 512,
        phoneWorkers: 2,
        idempotencyTtlHours: 24,
        idempotencyLeaseMs: 30_000,
        defaultSendWindow: null,
      },
    ],
    ['rateLimit', rateLimitConfig, RATE_LIMIT_DEFAULTS],
    [
      'sms',
      smsConfig,
      {
        provider: 'simulated',
        timeoutMs: 10_000,
        simulator: { latencyMs: 0, failureRate: 0, maxMps: 0, receipts: true, dlrDelayMs: 200 },
      },
    ],
    ['logging', loggingConfig, { level: 'info' }],
    ['admin', adminConfig, { password: undefined, queueBoardWrite: false }],
    ['metrics', metricsConfig, { token: undefined }],
    ['proxy', proxyConfig, { trustProxy: 0 }],
    [
      'sockets',
      socketsConfig,
      { subscribesPerSecond: 20, maxSubscriptionsPerSocket: 1_000, maxSocketsPerAccount: 500 },
    ],
    [
      'throttle',
      throttleConfig,
      { authFailuresPerMinute: 20, requestsPerMinute: 1_200, batchesPerMinute: 60 },
    ],
    [
      'destinations',
      destinationsConfig,
      {
        allowedCountries: [],
        blockedNumberTypes: ['PREMIUM_RATE', 'SHARED_COST', 'UAN', 'VOICEMAIL', 'PAGER'],
      },
    ],
    ['quota', quotaConfig, { dailyMessages: 0, dailySegments: 0 }],
    [
      'consent',
      consentConfig,
      {
        keywords: {
          optOut: ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'],
          optIn: ['START', 'YES', 'UNSTOP'],
          help: ['HELP', 'INFO'],
        },
        helpReplyText: null,
      },
    ],
  ])('%s', (_section, factory, expected) => {
    expect(factory()).toStrictEqual(expected);
  });

  it.each([['empty'], ['blank']])('treats %s variables as unset', (kind) => {
    for (const name of VARIABLES) process.env[name] = kind === 'empty' ? '' : '   ';
    expect(appConfig()).toEqual({ port: 3000, role: 'all', corsOrigins: [] });
    expect(redisConfig().prefix).toBe('salvo');
    expect(ingestConfig().maxRecipientsPerRequest).toBe(100_000);
    expect(rateLimitConfig()).toEqual(RATE_LIMIT_DEFAULTS);
    expect(accountsConfig().bootstrapApiKey).toBeUndefined();
  });

  it('builds every section', () => {
    expect(() => configSections.map((section) => section())).not.toThrow();
  });
});

describe('configuration read from the environment', () => {
  it.each<[string, Record<string, string>, () => unknown, unknown]>([
    ['PORT', { PORT: '8080' }, appConfig, { port: 8080, role: 'all', corsOrigins: [] }],
    ['PORT 0 (any free port)', { PORT: '0' }, appConfig, { port: 0, role: 'all', corsOrigins: [] }],
    [
      'APP_ROLE worker',
      { APP_ROLE: 'worker' },
      appConfig,
      { port: 3000, role: 'worker', corsOrigins: [] },
    ],
    ['APP_ROLE api', { APP_ROLE: 'api' }, appConfig, { port: 3000, role: 'api', corsOrigins: [] }],
    [
      'DATABASE_URL postgresql',
      { DATABASE_URL: 'postgresql://u:p@db:6543/other', DATABASE_POOL_SIZE: '20' },
      databaseConfig,
      {
        url: 'postgresql://u:p@db:6543/other',
        poolSize: 20,
        connectTimeoutMs: 5_000,
        queryTimeoutMs: 30_000,
      },
    ],
    [
      'DATABASE_CONNECT_TIMEOUT_MS and DATABASE_QUERY_TIMEOUT_MS (0: no bound)',
      { DATABASE_CONNECT_TIMEOUT_MS: '1500', DATABASE_QUERY_TIMEOUT_MS: '0' },
      databaseConfig,
      {
        url: 'postgres://postgres@127.0.0.1:5432/salvo',
        poolSize: 10,
        connectTimeoutMs: 1_500,
        queryTimeoutMs: 0,
      },
    ],
    [
      'REDIS_URL and REDIS_PREFIX',
      {
        REDIS_URL: 'rediss://cache:6380',
        REDIS_PREFIX: 'salvo-test_1.a',
        REDIS_COMMAND_TIMEOUT_MS: '3000',
      },
      redisConfig,
      { url: 'rediss://cache:6380', prefix: 'salvo-test_1.a', commandTimeoutMs: 3_000 },
    ],
    [
      'BOOTSTRAP_API_KEY of 16 characters',
      { BOOTSTRAP_API_KEY: 'k'.repeat(16) },
      accountsConfig,
      { bootstrapApiKey: 'k'.repeat(16) },
    ],
    [
      'DEFAULT_COUNTRY in lower case',
      { DEFAULT_COUNTRY: 'gb', MAX_RECIPIENTS_PER_REQUEST: '500' },
      ingestConfig,
      expect.objectContaining({ defaultCountry: 'GB', maxRecipientsPerRequest: 500 }),
    ],
    [
      'a default send window',
      { DEFAULT_SEND_WINDOW: '{"start":"09:00","end":"20:00","days":["mon"]}' },
      ingestConfig,
      expect.objectContaining({
        defaultSendWindow: { start: '09:00', end: '20:00', timeZone: 'recipient', days: ['mon'] },
      }),
    ],
    [
      'large bodies',
      { MAX_CONCURRENT_LARGE_BODIES: '4', LARGE_BODY_WAIT_MS: '2500' },
      ingestConfig,
      expect.objectContaining({ maxConcurrentLargeBodies: 4, largeBodyWaitMs: 2_500 }),
    ],
    [
      'rates',
      { RATE_LIMIT_HIGH: '100', RATE_LIMIT_NORMAL: '50', RATE_LIMIT_LOW: '1' },
      rateLimitConfig,
      expect.objectContaining({ high: 100, normal: 50, low: 1 }),
    ],
    [
      'the ceiling and the backpressure policy',
      {
        PROVIDER_MAX_MPS: '0',
        RATE_LIMIT_FLOOR: '0.5',
        RATE_LIMIT_DECREASE: '0.7',
        RATE_LIMIT_RECOVERY_MPS: '2',
        RATE_LIMIT_MIN_MPS: '2',
        RATE_LIMIT_BACKOFF_BASE_MS: '200',
        RATE_LIMIT_BACKOFF_MAX_MS: '5000',
      },
      rateLimitConfig,
      expect.objectContaining({
        providerMaxMps: 0,
        floor: 0.5,
        backpressure: {
          decrease: 0.7,
          recoveryMps: 2,
          minimumMps: 2,
          backoffBaseMs: 200,
          backoffMaxMs: 5000,
        },
      }),
    ],
    [
      'simulator settings',
      { SIMULATOR_FAILURE_RATE: '0.1', SIMULATOR_LATENCY_MS: '25' },
      smsConfig,
      expect.objectContaining({
        simulator: { latencyMs: 25, failureRate: 0.1, maxMps: 0, receipts: true, dlrDelayMs: 200 },
      }),
    ],
    ['LOG_LEVEL', { LOG_LEVEL: 'debug' }, loggingConfig, { level: 'debug' }],
    ['LOG_LEVEL silent', { LOG_LEVEL: 'silent' }, loggingConfig, { level: 'silent' }],
    [
      'ADMIN_PASSWORD',
      { ADMIN_PASSWORD: 'correct horse battery' },
      adminConfig,
      { password: 'correct horse battery', queueBoardWrite: false },
    ],
    [
      'CORS_ORIGINS',
      { CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' },
      appConfig,
      expect.objectContaining({
        corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      }),
    ],
    [
      'socket limits',
      {
        SOCKET_SUBSCRIBES_PER_SECOND: '5',
        MAX_SUBSCRIPTIONS_PER_SOCKET: '50',
        MAX_SOCKETS_PER_ACCOUNT: '2',
      },
      socketsConfig,
      { subscribesPerSecond: 5, maxSubscriptionsPerSocket: 50, maxSocketsPerAccount: 2 },
    ],
    [
      'socket limits turned off with 0',
      {
        SOCKET_SUBSCRIBES_PER_SECOND: '0',
        MAX_SUBSCRIPTIONS_PER_SOCKET: '0',
        MAX_SOCKETS_PER_ACCOUNT: '0',
      },
      socketsConfig,
      { subscribesPerSecond: 0, maxSubscriptionsPerSocket: 0, maxSocketsPerAccount: 0 },
    ],
  ])('%s', (_case, values, factory, expected) => {
    withEnv(values);
    expect(factory()).toEqual(expected);
  });

  it.each<[string, Record<string, string>, () => unknown, unknown]>([
    ['TRUST_PROXY', { TRUST_PROXY: '2' }, proxyConfig, { trustProxy: 2 }],
    ['TRUST_PROXY 0', { TRUST_PROXY: '0' }, proxyConfig, { trustProxy: 0 }],
    [
      'QUEUE_BOARD_WRITE',
      { ADMIN_PASSWORD: 'a'.repeat(16), QUEUE_BOARD_WRITE: 'TRUE' },
      adminConfig,
      { password: 'a'.repeat(16), queueBoardWrite: true },
    ],
    ['METRICS_TOKEN', { METRICS_TOKEN: 't'.repeat(32) }, metricsConfig, { token: 't'.repeat(32) }],
    [
      'throttles off',
      { AUTH_FAILURES_PER_MINUTE: '0', REQUESTS_PER_MINUTE: '0', BATCHES_PER_MINUTE: '0' },
      throttleConfig,
      { authFailuresPerMinute: 0, requestsPerMinute: 0, batchesPerMinute: 0 },
    ],
    [
      'ALLOWED_COUNTRIES',
      { ALLOWED_COUNTRIES: ' us, gb ,001,US' },
      destinationsConfig,
      {
        allowedCountries: ['US', 'GB', '001'],
        blockedNumberTypes: ['PREMIUM_RATE', 'SHARED_COST', 'UAN', 'VOICEMAIL', 'PAGER'],
      },
    ],
    [
      'BLOCKED_NUMBER_TYPES none',
      { BLOCKED_NUMBER_TYPES: 'none' },
      destinationsConfig,
      { allowedCountries: [], blockedNumberTypes: [] },
    ],
    [
      'BLOCKED_NUMBER_TYPES',
      { BLOCKED_NUMBER_TYPES: 'premium_rate,VOIP' },
      destinationsConfig,
      { allowedCountries: [], blockedNumberTypes: ['PREMIUM_RATE', 'VOIP'] },
    ],
    [
      'daily quotas',
      { DAILY_MESSAGE_QUOTA: '10000', DAILY_SEGMENT_QUOTA: '25000' },
      quotaConfig,
      { dailyMessages: 10_000, dailySegments: 25_000 },
    ],
    [
      'consent keywords, normalized, and the help reply',
      {
        OPT_OUT_KEYWORDS: 'stop, Arret ,stop  all',
        OPT_IN_KEYWORDS: 'start',
        HELP_KEYWORDS: 'aide',
        HELP_REPLY_TEXT: 'Acme alerts: reply STOP to stop.',
      },
      consentConfig,
      {
        keywords: { optOut: ['STOP', 'ARRET', 'STOP ALL'], optIn: ['START'], help: ['AIDE'] },
        helpReplyText: 'Acme alerts: reply STOP to stop.',
      },
    ],
  ])('operator setting %s', (_case, values, factory, expected) => {
    withEnv(values);
    expect(factory()).toStrictEqual(expected);
  });

  it('reads process.env at each call, not once at import', () => {
    withEnv({ PORT: '4000' });
    expect(appConfig().port).toBe(4000);
    withEnv({ PORT: '5000' });
    expect(appConfig().port).toBe(5000);
  });
});

describe('configuration rejects bad values, naming the variable', () => {
  it.each<[string, string, () => unknown]>([
    ['PORT', 'abc', appConfig],
    ['PORT', '70000', appConfig],
    ['PORT', '-1', appConfig],
    ['PORT', '80.5', appConfig],
    ['APP_ROLE', 'boss', appConfig],
    ['DATABASE_URL', 'mysql://x', databaseConfig],
    ['DATABASE_URL', 'not a url', databaseConfig],
    ['DATABASE_POOL_SIZE', '0', databaseConfig],
    ['DATABASE_CONNECT_TIMEOUT_MS', '0', databaseConfig],
    ['DATABASE_QUERY_TIMEOUT_MS', '-1', databaseConfig],
    ['REDIS_COMMAND_TIMEOUT_MS', '0', redisConfig],
    ['REDIS_URL', 'http://cache:6379', redisConfig],
    ['REDIS_PREFIX', 'my prefix', redisConfig],
    ['REDIS_PREFIX', 'salvo:{x}', redisConfig],
    ['BOOTSTRAP_API_KEY', 'short', accountsConfig],
    ['BOOTSTRAP_API_KEY', 'k'.repeat(15), accountsConfig],
    ['DEFAULT_COUNTRY', 'XX', ingestConfig],
    ['DEFAULT_COUNTRY', 'USA', ingestConfig],
    ['DEFAULT_SEND_WINDOW', '09:00-20:00', ingestConfig],
    ['DEFAULT_SEND_WINDOW', '{"start":"09:00","end":"09:00"}', ingestConfig],
    [
      'DEFAULT_SEND_WINDOW',
      '{"start":"09:00","end":"20:00","timeZone":"Nowhere/Else"}',
      ingestConfig,
    ],
    ['MAX_RECIPIENTS_PER_REQUEST', '0', ingestConfig],
    ['MAX_CONCURRENT_LARGE_BODIES', '0', ingestConfig],
    ['LARGE_BODY_WAIT_MS', '-1', ingestConfig],
    ['BODY_IDLE_TIMEOUT_MS', '50', ingestConfig],
    ['LARGE_BODY_MIN_KBPS', '-1', ingestConfig],
    ['MAX_RECIPIENTS_PER_REQUEST', 'many', ingestConfig],
    ['PHONE_WORKERS', '33', ingestConfig],
    ['RATE_LIMIT_HIGH', '0', rateLimitConfig],
    ['RATE_LIMIT_NORMAL', 'fast', rateLimitConfig],
    ['RATE_LIMIT_LOW', '-2', rateLimitConfig],
    ['PROVIDER_MAX_MPS', '-1', rateLimitConfig],
    ['PROVIDER_MAX_MPS', '0.5', rateLimitConfig],
    ['TWILIO_MAX_MPS', '-1', rateLimitConfig],
    ['SIMULATOR_PROVIDER_MAX_MPS', '2.5', rateLimitConfig],
    ['SMPP_MAX_MPS', '100001', rateLimitConfig],
    ['RATE_LIMIT_MIN_MPS', '0', rateLimitConfig],
    ['RATE_LIMIT_FLOOR', '0', rateLimitConfig],
    ['RATE_LIMIT_DECREASE', '1', rateLimitConfig],
    ['RATE_LIMIT_RECOVERY_MPS', 'fast', rateLimitConfig],
    ['RATE_LIMIT_BACKOFF_MAX_MS', '10', rateLimitConfig],
    ['SMS_PROVIDER', 'sms', smsConfig],
    ['SIMULATOR_FAILURE_RATE', '2', smsConfig],
    ['LOG_LEVEL', 'loud', loggingConfig],
    ['LOG_LEVEL', 'INFO', loggingConfig],
    ['LOG_LEVEL', 'verbose', loggingConfig],
    ['CORS_ORIGINS', 'https://ok.example.com,example.com', appConfig],
    ['CORS_ORIGINS', '*', appConfig],
    ['ADMIN_PASSWORD', 'hunter2', adminConfig],
    ['ADMIN_PASSWORD', 'p'.repeat(15), adminConfig],
    ['QUEUE_BOARD_WRITE', 'yes', adminConfig],
    ['QUEUE_BOARD_WRITE', '1', adminConfig],
    ['METRICS_TOKEN', 'short-token', metricsConfig],
    ['METRICS_TOKEN', 'a token with spaces in it', metricsConfig],
    ['BOOTSTRAP_API_KEY', 'a key with spaces in it', accountsConfig],
    ['TRUST_PROXY', 'true', proxyConfig],
    ['TRUST_PROXY', '-1', proxyConfig],
    ['TRUST_PROXY', '11', proxyConfig],
    ['TRUST_PROXY', '1.5', proxyConfig],
    ['TRUST_PROXY', 'loopback', proxyConfig],
    ['SOCKET_SUBSCRIBES_PER_SECOND', '-1', socketsConfig],
    ['SOCKET_SUBSCRIBES_PER_SECOND', 'lots', socketsConfig],
    ['MAX_SUBSCRIPTIONS_PER_SOCKET', '2.5', socketsConfig],
    ['MAX_SOCKETS_PER_ACCOUNT', '-5', socketsConfig],
    ['MAX_SOCKETS_PER_ACCOUNT', '1000001', socketsConfig],
    ['AUTH_FAILURES_PER_MINUTE', '-1', throttleConfig],
    ['REQUESTS_PER_MINUTE', 'lots', throttleConfig],
    ['BATCHES_PER_MINUTE', '1.5', throttleConfig],
    ['ALLOWED_COUNTRIES', 'US,XX', destinationsConfig],
    ['ALLOWED_COUNTRIES', 'USA', destinationsConfig],
    ['BLOCKED_NUMBER_TYPES', 'PREMIUM', destinationsConfig],
    ['BLOCKED_NUMBER_TYPES', 'none,VOIP', destinationsConfig],
    ['DAILY_MESSAGE_QUOTA', '-1', quotaConfig],
    ['DAILY_SEGMENT_QUOTA', 'unlimited', quotaConfig],
    ['OPT_IN_KEYWORDS', 'START,stop', consentConfig],
    ['HELP_KEYWORDS', 'x'.repeat(65), consentConfig],
    ['HELP_REPLY_TEXT', 'x'.repeat(1601), consentConfig],
  ])('%s=%j', (name, value, factory) => {
    withEnv({ [name]: value });
    const read = () => factory();
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });
});

describe('secrets at boot', () => {
  it.each<[string, () => unknown]>([
    ['BOOTSTRAP_API_KEY', accountsConfig],
    ['ADMIN_PASSWORD', adminConfig],
    ['METRICS_TOKEN', metricsConfig],
  ])('%s takes 16 characters or more', (name, factory) => {
    withEnv({ [name]: 's'.repeat(16) });
    expect(() => factory()).not.toThrow();
  });

  it.each([
    ['accounts', 'BOOTSTRAP_API_KEY', accountsConfig],
    ['admin', 'ADMIN_PASSWORD', adminConfig],
    ['metrics', 'METRICS_TOKEN', metricsConfig],
  ] as const)('%s: %s refuses every example the docs print', (_section, name, factory) => {
    for (const example of documentedSecrets()) {
      withEnv({ [name]: example });
      expect(() => factory()).toThrow(
        new RegExp(`^Invalid configuration: ${name} (is an example|must be at least 16)`),
      );
    }
  });

  it('knows the examples the docs print', () => {
    expect(documentedSecrets()).toContain('change-me-bootstrap-api-key');
    expect(EXAMPLE_SECRETS).toEqual(expect.arrayContaining(documentedSecrets()));
  });
});

/** Values the README and docker-compose.yml give secret variables (`NAME=value`, `NAME: value`). */
function documentedSecrets(): string[] {
  const root = join(__dirname, '..', '..');
  const docs = ['README.md', 'docker-compose.yml', 'docs/SECURITY.md']
    .map((file) => readFileSync(join(root, file), 'utf8'))
    .join('\n');
  const found = new Set<string>(EXAMPLE_SECRETS);
  const pattern =
    /\b(?:BOOTSTRAP_API_KEY|ADMIN_PASSWORD|METRICS_TOKEN)\s*[=:]\s*['"]?([^\s'"`$|,)]{16,})/g;
  for (const match of docs.matchAll(pattern)) found.add(match[1]);
  return [...found];
}

describe('rate-limit settings that must fit together', () => {
  it('refuses a minimum effective ceiling above the ceiling itself', () => {
    withEnv({ PROVIDER_MAX_MPS: '5', RATE_LIMIT_MIN_MPS: '6' });
    expect(() => rateLimitConfig()).toThrow(/RATE_LIMIT_MIN_MPS must not exceed PROVIDER_MAX_MPS/);
  });

  it('any minimum goes with an unlimited ceiling', () => {
    withEnv({ PROVIDER_MAX_MPS: '0', RATE_LIMIT_MIN_MPS: '6' });
    expect(rateLimitConfig().backpressure.minimumMps).toBe(6);
  });
});

describe('per-provider ceilings', () => {
  it('read each provider its ceiling in segments, SMPP_MAX_MPS parsed as the SMPP adapter does', () => {
    withEnv({
      SIMULATOR_PROVIDER_MAX_MPS: '40',
      TWILIO_MAX_MPS: '12',
      SMPP_MAX_MPS: '25',
      SMS_PROVIDER: 'smpp',
      SMPP_URL: 'smpp://smsc.example.net:2775',
      SMPP_SYSTEM_ID: 'salvo',
      SMPP_PASSWORD: 'secret',
      SMPP_SOURCE_ADDR: '+447700900123',
    });
    expect(rateLimitConfig().providerCeilings).toEqual({ simulated: 40, twilio: 12, smpp: 25 });
    expect(smppConfig().settings?.maxMps).toBe(25);
  });
});

describe('dispatch settings that must fit together', () => {
  it.each<[string, Record<string, string>, number | RegExp]>([
    ['the default lease outlives the default provider timeout', {}, 15_000],
    [
      'a short lease with a short timeout',
      { CLAIM_LEASE_MS: '2000', PROVIDER_TIMEOUT_MS: '500' },
      2_000,
    ],
    [
      'a lease shorter than a provider call',
      { CLAIM_LEASE_MS: '2000' },
      /CLAIM_LEASE_MS must be at least PROVIDER_TIMEOUT_MS/,
    ],
    [
      'a lease equal to timeout + flush + 1 s minus one',
      { CLAIM_LEASE_MS: '11249' },
      /CLAIM_LEASE_MS/,
    ],
    ['a lease of exactly timeout + flush + 1 s', { CLAIM_LEASE_MS: '11250' }, 11_250],
  ])('%s', (_case, values, expected) => {
    withEnv(values);
    if (typeof expected === 'number') expect(dispatchConfig().claimLeaseMs).toBe(expected);
    else expect(() => dispatchConfig()).toThrow(expected);
  });

  it.each<[string, Record<string, string>, number | RegExp]>([
    ['renewed every 5 s by default', {}, 5_000],
    ['a third of a lease shorter than 15 s by default', { CLAIM_LEASE_MS: '12000' }, 4_000],
    ['half the lease at most', { CLAIM_RENEW_MS: '7500' }, 7_500],
    [
      'not more than half the lease',
      { CLAIM_RENEW_MS: '7501' },
      /CLAIM_RENEW_MS must be at most half of CLAIM_LEASE_MS \(7500\), got 7501/,
    ],
    ['not zero', { CLAIM_RENEW_MS: '0' }, /CLAIM_RENEW_MS must be between 1/],
  ])('claim renewal: %s', (_case, values, expected) => {
    withEnv(values);
    if (typeof expected === 'number') expect(dispatchConfig().claimRenewMs).toBe(expected);
    else expect(() => dispatchConfig()).toThrow(expected);
  });
});

describe('Twilio and delivery settings', () => {
  const TWILIO = {
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
    TWILIO_AUTH_TOKEN: 'token-of-the-account',
    TWILIO_FROM: '+15005550006',
    PUBLIC_BASE_URL: 'https://salvo.example.com/sms/',
  };
  const set = (vars: Record<string, string>) => Object.assign(process.env, vars);

  it('are off unless Twilio is chosen or its account named', () => {
    expect(twilioConfig().settings).toBeNull();
  });

  it('read a full Twilio configuration with its defaults', () => {
    set(TWILIO);
    expect(twilioConfig().settings).toEqual({
      accountSid: TWILIO.TWILIO_ACCOUNT_SID,
      authToken: TWILIO.TWILIO_AUTH_TOKEN,
      from: '+15005550006',
      messagingServiceSid: null,
      apiBaseUrl: 'https://api.twilio.com',
      maxConcurrency: 100,
      lookupDelayMs: 2000,
      publicBaseUrl: 'https://salvo.example.com/sms',
    });
  });

  it.each([
    ['TWILIO_ACCOUNT_SID', { TWILIO_ACCOUNT_SID: '' }, /TWILIO_ACCOUNT_SID is required/],
    [
      'TWILIO_ACCOUNT_SID',
      { TWILIO_ACCOUNT_SID: 'AC123' },
      /TWILIO_ACCOUNT_SID must be an Account SID/,
    ],
    ['TWILIO_AUTH_TOKEN', { TWILIO_AUTH_TOKEN: '' }, /TWILIO_AUTH_TOKEN is required/],
    [
      'the sender',
      { TWILIO_FROM: '' },
      /TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID: set exactly one/,
    ],
    ['both senders', { TWILIO_MESSAGING_SERVICE_SID: 'MG' + '0'.repeat(32) }, /set exactly one/],
    ['TWILIO_FROM', { TWILIO_FROM: 'not a sender id!' }, /TWILIO_FROM must be an E.164 number/],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: '' }, /PUBLIC_BASE_URL is required/],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://x.example' }, /PUBLIC_BASE_URL must use/],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'https://x.example/?a=1' }, /without query/],
    [
      'TWILIO_MAX_CONCURRENCY',
      { TWILIO_MAX_CONCURRENCY: '0' },
      /TWILIO_MAX_CONCURRENCY must be between/,
    ],
  ])('refuse to boot naming %s', (_, vars, message) => {
    set({ ...TWILIO, ...vars });
    expect(() => twilioConfig()).toThrow(message);
  });

  it('let SMS_PROVIDER choose twilio', () => {
    set(TWILIO);
    expect(smsConfig().provider).toBe('twilio');
  });

  it('take a Messaging Service or an alphanumeric sender instead of a number', () => {
    set({ ...TWILIO, TWILIO_FROM: '', TWILIO_MESSAGING_SERVICE_SID: 'MG' + 'b'.repeat(32) });
    expect(twilioConfig().settings).toMatchObject({
      from: null,
      messagingServiceSid: 'MG' + 'b'.repeat(32),
    });
    set({ ...TWILIO, TWILIO_FROM: 'Salvo', TWILIO_MESSAGING_SERVICE_SID: '' });
    expect(twilioConfig().settings).toMatchObject({ from: 'Salvo' });
  });

  it('keep receipts 24 h for their send result and wait 72 h (fractions allowed) for them', () => {
    expect(deliveryConfig()).toEqual({
      orphanTtlMs: 24 * 3_600_000,
      receiptTimeoutMs: 72 * 3_600_000,
    });
    set({ DELIVERY_RECEIPT_TIMEOUT_HOURS: '0.5', RECEIPT_ORPHAN_TTL_HOURS: '2' });
    expect(deliveryConfig()).toEqual({ orphanTtlMs: 2 * 3_600_000, receiptTimeoutMs: 1_800_000 });
    set({ DELIVERY_RECEIPT_TIMEOUT_HOURS: '0' });
    expect(() => deliveryConfig()).toThrow(/DELIVERY_RECEIPT_TIMEOUT_HOURS must be between/);
  });

  it('let the simulator send receipts after 200 ms by default', () => {
    expect(smsConfig().simulator).toMatchObject({ receipts: true, dlrDelayMs: 200 });
    set({ SIMULATOR_RECEIPTS: 'false' });
    expect(smsConfig().simulator.receipts).toBe(false);
  });
});

describe('routing settings', () => {
  const set = (vars: Record<string, string>) => Object.assign(process.env, vars);
  const SMPP = {
    SMPP_URL: 'smpp://smsc.example.net:2775',
    SMPP_SYSTEM_ID: 'salvo',
    SMPP_PASSWORD: 'secret',
    SMPP_SOURCE_ADDR: '+447700900123',
  };

  it('send every destination to SMS_PROVIDER without SMS_ROUTES, with 5 failures and 30 s', () => {
    const routing = routingConfig();
    expect(routing.table.routes).toEqual([
      { prefix: '*', providers: ['simulated'], key: 'simulated' },
    ]);
    expect(routing.providers).toEqual(['simulated']);
    expect(routing.breaker).toEqual({ failures: 5, cooldownMs: 30_000 });
  });

  it('read SMS_ROUTES over the configured providers, listing those in use', () => {
    set({ ...SMPP, SMS_ROUTES: '+44=smpp,simulated; *=simulated' });
    const routing = routingConfig();
    expect(routing.table.routes.map((route) => route.key)).toEqual(['smpp,simulated', 'simulated']);
    expect(routing.providers).toEqual(['smpp', 'simulated']);
  });

  it.each([
    [{ SMS_ROUTES: '+44=smpp;*=simulated' }, /SMS_ROUTES .*"smpp", which is not configured/],
    [{ SMS_ROUTES: '+44=simulated' }, /SMS_ROUTES has no "\*" route/],
    [{ SMS_ROUTES: '*=simulated', BREAKER_FAILURES: '0' }, /BREAKER_FAILURES must be between/],
    [{ BREAKER_COOLDOWN_MS: 'soon' }, /BREAKER_COOLDOWN_MS/],
  ])('refuse %j at boot, naming the variable', (vars, message) => {
    set(vars);
    expect(() => routingConfig()).toThrow(message);
  });
});

describe('SMPP settings', () => {
  const SMPP = {
    SMS_PROVIDER: 'smpp',
    SMPP_URL: 'smpp://smsc.example.net:2775',
    SMPP_SYSTEM_ID: 'salvo',
    SMPP_PASSWORD: 'secret',
    SMPP_SOURCE_ADDR: '+447700900123',
  };
  const set = (vars: Record<string, string>) => Object.assign(process.env, vars);

  it('are off unless SMPP is chosen or its URL given', () => {
    expect(smppConfig().settings).toBeNull();
  });

  it('read a full SMPP configuration with its defaults', () => {
    set(SMPP);
    expect(smppConfig().settings).toEqual({
      host: 'smsc.example.net',
      port: 2775,
      systemId: 'salvo',
      password: 'secret',
      systemType: '',
      source: { addr: '447700900123', ton: 1, npi: 1 },
      binds: 1,
      window: 10,
      maxMps: 0,
      enquireLinkMs: 30_000,
      responseTimeoutMs: 8_000,
      resendUnknown: false,
      receiptIdBase: 'same',
    });
    expect(smsConfig().provider).toBe('smpp');
  });

  it.each([
    ['+447700900123', { addr: '447700900123', ton: 1, npi: 1 }],
    ['07700900123', { addr: '07700900123', ton: 2, npi: 1 }],
    ['Salvo Shop', { addr: 'Salvo Shop', ton: 5, npi: 0 }],
  ])('derive TON/NPI from the source address %s', (source, expected) => {
    set({ ...SMPP, SMPP_SOURCE_ADDR: source });
    expect(smppConfig().settings?.source).toEqual(expected);
  });

  it.each([
    ['SMPP_URL', { SMPP_URL: '' }, /SMPP_URL is required/],
    ['SMPP_URL', { SMPP_URL: 'http://smsc.example.net:2775' }, /SMPP_URL must use/],
    ['SMPP_URL', { SMPP_URL: 'smpp://smsc.example.net' }, /SMPP_URL must be smpp:\/\/host:port/],
    ['SMPP_SYSTEM_ID', { SMPP_SYSTEM_ID: '' }, /SMPP_SYSTEM_ID is required/],
    ['SMPP_PASSWORD', { SMPP_PASSWORD: '' }, /SMPP_PASSWORD is required/],
    ['SMPP_SOURCE_ADDR', { SMPP_SOURCE_ADDR: '' }, /SMPP_SOURCE_ADDR is required/],
    ['SMPP_SOURCE_ADDR', { SMPP_SOURCE_ADDR: 'A sender too long' }, /SMPP_SOURCE_ADDR must be/],
    ['SMPP_WINDOW', { SMPP_WINDOW: '0' }, /SMPP_WINDOW must be between/],
    [
      'SMPP_RECEIPT_ID_BASE',
      { SMPP_RECEIPT_ID_BASE: 'octal' },
      /SMPP_RECEIPT_ID_BASE must be one of/,
    ],
    [
      'SMPP_RESPONSE_TIMEOUT_MS',
      { SMPP_RESPONSE_TIMEOUT_MS: '10000' },
      /SMPP_RESPONSE_TIMEOUT_MS must be below PROVIDER_TIMEOUT_MS \(10000\)/,
    ],
    [
      'SMPP_RESPONSE_TIMEOUT_MS',
      { SMPP_RESPONSE_TIMEOUT_MS: '9900' },
      /SMPP_RESPONSE_TIMEOUT_MS must be below PROVIDER_TIMEOUT_MS \(10000\) by more than 200 ms/,
    ],
  ])('refuse to boot naming %s', (_, vars, message) => {
    set({ ...SMPP, ...vars });
    expect(() => smppConfig()).toThrow(message);
  });
});
