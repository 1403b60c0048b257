// Every setting Salvo reads, one validated section per area. This folder is the only reader of
// process.env; everything else injects these sections.
import { ConfigType, registerAs } from '@nestjs/config';
import { getCountries, type CountryCode } from 'libphonenumber-js/max';
import {
  DEFAULT_HELP_KEYWORDS,
  DEFAULT_OPT_IN_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  normalizeKeyword,
} from './keywords';
import { parseRoutes, singleRoute, type RouteTable } from './routes';
import { parseSendWindow, type SendWindow } from './send-window';
import { bool, ConfigError, int, list, num, oneOf, optionalStr, origins, str, url } from './env';

export const APP_ROLES = ['all', 'api', 'worker'] as const;
export type AppRole = (typeof APP_ROLES)[number];

const env = (): NodeJS.ProcessEnv => process.env;

export const appConfig = registerAs('app', () => ({
  port: int(env(), 'PORT', 3000, { min: 0, max: 65535 }),
  role: oneOf(env(), 'APP_ROLE', APP_ROLES, 'all'),
  /** Browser origins allowed to call the HTTP API (and, with the gateway, Socket.IO); none by default. */
  corsOrigins: origins(env(), 'CORS_ORIGINS'),
}));

export const databaseConfig = registerAs('database', () => ({
  url: url(env(), 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/salvo', [
    'postgres:',
    'postgresql:',
  ]),
  poolSize: int(env(), 'DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
  /**
   * How long a query waits for a connection (a new one, or a turn in a full pool) before it fails:
   * the API then answers 503 rather than hang while PostgreSQL is out of reach.
   */
  connectTimeoutMs: int(env(), 'DATABASE_CONNECT_TIMEOUT_MS', 5_000, { min: 100, max: 600_000 }),
  /**
   * How long a query waits for PostgreSQL's answer before its connection is given up (0: for
   * ever). Client-side, so it also ends the wait on a network that went silent, where the
   * server's statement_timeout never fires. Migrations are not bounded by it.
   */
  queryTimeoutMs: int(env(), 'DATABASE_QUERY_TIMEOUT_MS', 30_000, { min: 0, max: 3_600_000 }),
}));

export const redisConfig = registerAs('redis', () => {
  const prefix = str(env(), 'REDIS_PREFIX', 'salvo');
  if (!/^[A-Za-z0-9_.-]+$/.test(prefix)) {
    throw new ConfigError(
      'REDIS_PREFIX',
      `may hold letters, digits, "_", "." and "-", got "${prefix}"`,
    );
  }
  return {
    url: url(env(), 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    prefix,
    /**
     * How long a command of the shared connection (limiter, breakers, throttles, notices) waits
     * for Redis's answer: a request then goes on without it (or answers 503) instead of hanging
     * on a network that went silent. Bull's connections wait for Redis instead.
     */
    commandTimeoutMs: int(env(), 'REDIS_COMMAND_TIMEOUT_MS', 2_000, { min: 100, max: 600_000 }),
  };
});

/**
 * Secrets printed in the README or docker-compose.yml, now or before: anyone can read them, so a
 * deployment that copied one is refused rather than exposed.
 */
export const EXAMPLE_SECRETS: readonly string[] = ['change-me-bootstrap-api-key'];

/** Shorter secrets are refused at boot (BOOTSTRAP_API_KEY, ADMIN_PASSWORD, METRICS_TOKEN). */
export const MIN_SECRET_LENGTH = 16;

function secret(name: string, { bearer = false } = {}): string | undefined {
  const value = optionalStr(env(), name);
  if (value === undefined) return undefined;
  if (value.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(name, `must be at least ${MIN_SECRET_LENGTH} characters long`);
  }
  if (EXAMPLE_SECRETS.includes(value)) {
    throw new ConfigError(name, 'is an example printed in the documentation; choose your own');
  }
  // A Bearer token is read up to the first space: one with a space could never be matched.
  if (bearer && /\s/.test(value)) throw new ConfigError(name, 'must not contain spaces');
  return value;
}

export const accountsConfig = registerAs('accounts', () => ({
  bootstrapApiKey: secret('BOOTSTRAP_API_KEY', { bearer: true }),
}));

export const ingestConfig = registerAs('ingest', () => {
  const defaultCountry = optionalStr(env(), 'DEFAULT_COUNTRY')?.toUpperCase();
  if (defaultCountry !== undefined && !getCountries().includes(defaultCountry as CountryCode)) {
    throw new ConfigError(
      'DEFAULT_COUNTRY',
      `must be an ISO 3166-1 alpha-2 code such as US, got "${defaultCountry}"`,
    );
  }
  return {
    maxRecipientsPerRequest: int(env(), 'MAX_RECIPIENTS_PER_REQUEST', 100_000, {
      min: 1,
      max: 1_000_000,
    }),
    defaultCountry: defaultCountry as CountryCode | undefined,
    /** Largest JSON body of POST /api/batch, in megabytes; the default admits a full-size request. */
    maxBodyMb: int(env(), 'MAX_BODY_MB', 64, { min: 1, max: 1024 }),
    /** Bodies over 1 MB a process reads and handles at once; the others wait. */
    maxConcurrentLargeBodies: int(env(), 'MAX_CONCURRENT_LARGE_BODIES', 2, { min: 1, max: 64 }),
    /** How long a large body waits for its turn before the answer is 503. */
    largeBodyWaitMs: int(env(), 'LARGE_BODY_WAIT_MS', 10_000, { min: 0, max: 120_000 }),
    /** A body that stops arriving for this long is answered with a 408. */
    bodyIdleTimeoutMs: int(env(), 'BODY_IDLE_TIMEOUT_MS', 10_000, { min: 100, max: 300_000 }),
    /** Past the idle timeout, a large body holding a slot must have averaged this; 0: no minimum. */
    largeBodyMinKbps: int(env(), 'LARGE_BODY_MIN_KBPS', 512, { min: 0, max: 1_000_000 }),
    /** Threads that parse phone numbers; 0 parses on the request's own thread. */
    phoneWorkers: int(env(), 'PHONE_WORKERS', 2, { min: 0, max: 32 }),
    idempotencyTtlHours: int(env(), 'IDEMPOTENCY_TTL_HOURS', 24, { min: 1, max: 24 * 30 }),
    /**
     * How long a request in flight holds its Idempotency-Key without renewing it (it renews it
     * every third of this while it runs): a retry after a crashed request waits this long at most.
     */
    idempotencyLeaseMs: int(env(), 'IDEMPOTENCY_LEASE_MS', 30_000, { min: 1_000, max: 3_600_000 }),
    /** The send window of batches whose options name none (README, "Send windows"); null: none. */
    defaultSendWindow: defaultSendWindow(),
  };
});

/** DEFAULT_SEND_WINDOW: the JSON of options.sendWindow, checked as a request's would be. */
function defaultSendWindow(): SendWindow | null {
  const name = 'DEFAULT_SEND_WINDOW';
  const text = optionalStr(env(), name);
  if (text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(name, 'must be JSON such as {"start":"09:00","end":"20:00"}');
  }
  const parsed = parseSendWindow(value, name);
  if ('problems' in parsed) {
    throw new ConfigError(
      name,
      parsed.problems.map((problem) => `${problem.path} ${problem.message}`).join('; '),
    );
  }
  return parsed.window;
}

export const rateLimitConfig = registerAs('rateLimit', () => {
  // The ceiling is counted in whole messages per 1-second window.
  const providerMaxMps = int(env(), 'PROVIDER_MAX_MPS', 30, { min: 0, max: 1_000_000 });
  const minimumMps = int(env(), 'RATE_LIMIT_MIN_MPS', 1, { min: 1, max: 1_000_000 });
  if (providerMaxMps > 0 && minimumMps > providerMaxMps) {
    throw new ConfigError(
      'RATE_LIMIT_MIN_MPS',
      `must not exceed PROVIDER_MAX_MPS (${providerMaxMps}), got ${minimumMps}`,
    );
  }
  const backoffBaseMs = int(env(), 'RATE_LIMIT_BACKOFF_BASE_MS', 1_000, { min: 1, max: 600_000 });
  const providerCeilings: Readonly<Record<SmsProviderName, number>> = {
    simulated: int(env(), 'SIMULATOR_PROVIDER_MAX_MPS', 0, { min: 0, max: 1_000_000 }),
    twilio: int(env(), 'TWILIO_MAX_MPS', 0, { min: 0, max: 1_000_000 }),
    smpp: smppMaxMps(),
  };
  return {
    high: int(env(), 'RATE_LIMIT_HIGH', 8, { min: 1, max: 1_000_000 }),
    normal: int(env(), 'RATE_LIMIT_NORMAL', 5, { min: 1, max: 1_000_000 }),
    low: int(env(), 'RATE_LIMIT_LOW', 2, { min: 1, max: 1_000_000 }),
    /** Messages per second for every running batch together; 0 = unlimited. */
    providerMaxMps,
    /** Each provider's ceiling in segments per second (what providers bill and throttle); 0 = none. */
    providerCeilings,
    /** What every running batch gets first under the ceiling, messages per second. */
    floor: num(env(), 'RATE_LIMIT_FLOOR', 0.1, { min: 0.001, max: 1_000 }),
    backpressure: {
      /** The effective ceiling is multiplied by this on a rate-limit answer. */
      decrease: num(env(), 'RATE_LIMIT_DECREASE', 0.5, { min: 0.05, max: 0.95 }),
      /** Messages per second the effective ceiling regains each second afterwards. */
      recoveryMps: num(env(), 'RATE_LIMIT_RECOVERY_MPS', 1, { min: 0.01, max: 1_000_000 }),
      /** The effective ceiling never drops below this. */
      minimumMps,
      /** The provider pause after a rate-limit answer without Retry-After: full-jitter backoff. */
      backoffBaseMs,
      backoffMaxMs: int(env(), 'RATE_LIMIT_BACKOFF_MAX_MS', 30_000, {
        min: backoffBaseMs,
        max: 3_600_000,
      }),
    },
  };
});

/**
 * What a claim must surely have left for a request to a provider without idempotency keys to
 * start: the request, the wait for its result's flush, and the write (half a second).
 */
export function callLeaseNeed(providerTimeoutMs: number, flushIntervalMs: number) {
  return providerTimeoutMs + flushIntervalMs + 500;
}

/**
 * The shortest claim lease: one that outlives a call and the write of its result, with half a
 * second more, so that a lease renewed just before a call (ClaimLeases.ensure) covers it.
 * Shorter, and a live worker's message could be taken and sent by another.
 */
export function claimLeaseFloor(providerTimeoutMs: number, flushIntervalMs: number) {
  return callLeaseNeed(providerTimeoutMs, flushIntervalMs) + 500;
}

/**
 * CLAIM_RENEW_MS: how often a worker renews the claims it holds. At most half the lease, so a
 * renewal that fails once is retried before the lease can run out; by default 5 s, or a third
 * of a shorter lease.
 */
function claimRenewMs(claimLeaseMs: number): number {
  const renewMs = int(env(), 'CLAIM_RENEW_MS', Math.min(5_000, Math.floor(claimLeaseMs / 3)), {
    min: 1,
    max: 3_600_000,
  });
  if (renewMs > claimLeaseMs / 2) {
    throw new ConfigError(
      'CLAIM_RENEW_MS',
      `must be at most half of CLAIM_LEASE_MS (${Math.floor(claimLeaseMs / 2)}), got ${renewMs}`,
    );
  }
  return renewMs;
}

/** PROVIDER_TIMEOUT_MS: how long Salvo waits for one provider call. */
const providerTimeout = (): number =>
  int(env(), 'PROVIDER_TIMEOUT_MS', 10_000, { min: 1, max: 600_000 });

export const dispatchConfig = registerAs('dispatch', () => {
  const flushIntervalMs = int(env(), 'RESULT_FLUSH_MS', 250, { min: 10, max: 1_000 });
  const providerTimeoutMs = providerTimeout();
  /**
   * How long a claimed message stays reserved for its worker unless renewed; after that another
   * may take it. Short, so a dead worker's messages move again soon: a live one renews.
   */
  const claimLeaseMs = int(env(), 'CLAIM_LEASE_MS', 15_000, { min: 500, max: 3_600_000 });
  // One provider request and its result's write fit in a lease without renewal; a longer call (a
  // send, then a resolution) is covered by renewals and fenced before each request
  // (ClaimLeases, provider-call.ts).
  const leaseFloor = claimLeaseFloor(providerTimeoutMs, flushIntervalMs);
  if (claimLeaseMs < leaseFloor) {
    throw new ConfigError(
      'CLAIM_LEASE_MS',
      `must be at least PROVIDER_TIMEOUT_MS + RESULT_FLUSH_MS + 1000 (${leaseFloor}), got ${claimLeaseMs}`,
    );
  }
  return {
    claimLeaseMs,
    claimRenewMs: claimRenewMs(claimLeaseMs),
    /**
     * What a claim must surely have left for a request to a provider without idempotency keys to
     * start: the request and its result's write fit in it even if no renewal gets through.
     */
    callLeaseMs: callLeaseNeed(providerTimeoutMs, flushIntervalMs),
    flushIntervalMs,
    /** How often workers rebuild from PostgreSQL what Redis should hold (due schedules, lost jobs). */
    reconcileIntervalMs: int(env(), 'RECONCILE_INTERVAL_MS', 5_000, { min: 100, max: 600_000 }),
    /** Messages per Bull job. */
    chunkSize: int(env(), 'DISPATCH_CHUNK_SIZE', 200, { min: 1, max: 10_000 }),
    /** Chunk jobs a worker process runs at once, per priority queue. */
    concurrency: int(env(), 'DISPATCH_CONCURRENCY', 16, { min: 1, max: 1_000 }),
  };
});

export const retryConfig = registerAs('retry', () => ({
  baseDelayMs: int(env(), 'RETRY_BASE_DELAY_MS', 1_000, { min: 1, max: 3_600_000 }),
  maxDelayMs: int(env(), 'RETRY_MAX_DELAY_MS', 300_000, { min: 1, max: 86_400_000 }),
  /** Attempts allowed per message, the first included. */
  maxAttempts: int(env(), 'RETRY_MAX_ATTEMPTS', 5, { min: 1, max: 100 }),
  /** How long after its batch started a message may still be sent. */
  validityMs: int(env(), 'MESSAGE_VALIDITY_SECONDS', 36_000, { min: 1, max: 30 * 86_400 }) * 1000,
}));

export const errorRateConfig = registerAs('errorRate', () => {
  const window = int(env(), 'ERROR_RATE_WINDOW', 100, { min: 1, max: 10_000 });
  return {
    /** How many of a batch's last attempts the guard looks at. */
    window,
    /** Attempts the window must hold before the guard may pause. */
    minSample: int(env(), 'ERROR_RATE_MIN_SAMPLE', 20, { min: 1, max: window }),
    /** The share of failed attempts in the window that pauses the batch; 1 disables the guard. */
    pauseThreshold: num(env(), 'ERROR_RATE_PAUSE_THRESHOLD', 0.5, { min: 0.01, max: 1 }),
  };
});

/** What one socket and one account may ask of the Socket.IO gateway; 0 turns a limit off. */
export const socketsConfig = registerAs('sockets', () => ({
  /** `subscribe` events per socket in any second; more get a RATE_LIMITED ack. */
  subscribesPerSecond: int(env(), 'SOCKET_SUBSCRIBES_PER_SECOND', 20, { min: 0, max: 100_000 }),
  /** Batches (and `all`) one socket follows at once; more get a LIMIT_REACHED ack. */
  maxSubscriptionsPerSocket: int(env(), 'MAX_SUBSCRIPTIONS_PER_SOCKET', 1_000, {
    min: 0,
    max: 1_000_000,
  }),
  /** Sockets of one account across every API process; more get connect_error LIMIT_REACHED. */
  maxSocketsPerAccount: int(env(), 'MAX_SOCKETS_PER_ACCOUNT', 500, { min: 0, max: 1_000_000 }),
}));

/** The provider adapters, each registered by this name in src/sms/sms.module.ts. */
export const SMS_PROVIDERS = ['simulated', 'twilio', 'smpp'] as const;
export type SmsProviderName = (typeof SMS_PROVIDERS)[number];

export const smsConfig = registerAs('sms', () => ({
  provider: oneOf(env(), 'SMS_PROVIDER', SMS_PROVIDERS, 'simulated'),
  timeoutMs: providerTimeout(),
  simulator: {
    latencyMs: int(env(), 'SIMULATOR_LATENCY_MS', 0, { min: 0, max: 600_000 }),
    failureRate: num(env(), 'SIMULATOR_FAILURE_RATE', 0, { min: 0, max: 1 }),
    maxMps: int(env(), 'SIMULATOR_MAX_MPS', 0, { min: 0, max: 1_000_000 }),
    /** Whether the simulator sends delivery receipts (from the worker that sent the message). */
    receipts: bool(env(), 'SIMULATOR_RECEIPTS', true),
    /** How long after its acceptance a simulated message's receipt comes. */
    dlrDelayMs: int(env(), 'SIMULATOR_DLR_DELAY_MS', 200, { min: 0, max: 3_600_000 }),
  },
}));

/** The providers with settings: the simulator always, Twilio and SMPP when configured. */
function configuredProviders(): SmsProviderName[] {
  return SMS_PROVIDERS.filter(
    (name) =>
      name === 'simulated' ||
      (name === 'twilio' && twilioSettings() !== null) ||
      (name === 'smpp' && smppSettings() !== null),
  );
}

/**
 * Which providers serve which destinations (SMS_ROUTES; README, "Several providers") and how a
 * provider that keeps failing is left alone (the circuit breakers, src/sms/routing/).
 */
export const routingConfig = registerAs('routing', () => {
  const name = 'SMS_ROUTES';
  const written = optionalStr(env(), name);
  let table: RouteTable<SmsProviderName>;
  try {
    table = written
      ? parseRoutes(written, configuredProviders())
      : singleRoute(oneOf(env(), 'SMS_PROVIDER', SMS_PROVIDERS, 'simulated'));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(name, (error as Error).message);
  }
  return {
    table,
    /** Every provider some route names, in the order they first appear: the ones in use. */
    providers: [...new Set(table.routes.flatMap((route) => route.providers))],
    breaker: {
      /** Consecutive failed calls that open a provider's breaker. */
      failures: int(env(), 'BREAKER_FAILURES', 5, { min: 1, max: 10_000 }),
      /** How long an open breaker refuses every call before one probe may go. */
      cooldownMs: int(env(), 'BREAKER_COOLDOWN_MS', 30_000, { min: 100, max: 3_600_000 }),
    },
  };
});

const HOUR_MS = 3_600_000;

export const deliveryConfig = registerAs('delivery', () => ({
  /** How long a receipt whose send result is not yet written is kept for it. */
  orphanTtlMs: int(env(), 'RECEIPT_ORPHAN_TTL_HOURS', 24, { min: 1, max: 24 * 30 }) * HOUR_MS,
  /** An accepted message with no final receipt this long after acceptance becomes `unknown`. */
  receiptTimeoutMs: Math.round(
    num(env(), 'DELIVERY_RECEIPT_TIMEOUT_HOURS', 72, { min: 0.001, max: 24 * 365 }) * HOUR_MS,
  ),
}));

/** Where Twilio reaches Salvo: http(s), an optional path prefix, no query or fragment. */
function publicBaseUrl(): string {
  const name = 'PUBLIC_BASE_URL';
  const value = optionalStr(env(), name);
  if (value === undefined) {
    throw new ConfigError(name, "is required when Twilio is configured (the webhooks' address)");
  }
  const parsed = new URL(url(env(), name, value, ['http:', 'https:']));
  if (parsed.search || parsed.hash || /[?#]/.test(value) || parsed.username || parsed.password) {
    throw new ConfigError(
      name,
      `must be a URL without query, fragment or credentials, got "${value}"`,
    );
  }
  return value.replace(/\/+$/, '');
}

function matching(name: string, pattern: RegExp, what: string): string | undefined {
  const value = optionalStr(env(), name);
  if (value !== undefined && !pattern.test(value)) {
    throw new ConfigError(name, `must be ${what}, got "${value}"`);
  }
  return value;
}

/**
 * Twilio (README, "Connecting Twilio"), or null when it is not configured: it is when SMS_PROVIDER
 * is twilio or TWILIO_ACCOUNT_SID is set, and then every required variable must be valid.
 */
function twilioSettings() {
  const chosen = optionalStr(env(), 'SMS_PROVIDER') === 'twilio';
  if (!chosen && optionalStr(env(), 'TWILIO_ACCOUNT_SID') === undefined) return null;
  const required = (name: string, value: string | undefined): string => {
    if (value === undefined) throw new ConfigError(name, 'is required when Twilio is configured');
    return value;
  };
  const from = matching(
    'TWILIO_FROM',
    /^(\+[1-9]\d{6,14}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11})$/,
    'an E.164 number (+15005550006) or an alphanumeric sender id of at most 11 characters',
  );
  const messagingServiceSid = matching(
    'TWILIO_MESSAGING_SERVICE_SID',
    /^MG[0-9a-fA-F]{32}$/,
    'a Messaging Service SID (MG followed by 32 hex digits)',
  );
  if ((from === undefined) === (messagingServiceSid === undefined)) {
    throw new ConfigError(
      from === undefined ? 'TWILIO_FROM' : 'TWILIO_MESSAGING_SERVICE_SID',
      'and TWILIO_MESSAGING_SERVICE_SID: set exactly one of the two (the sender)',
    );
  }
  return {
    accountSid: required(
      'TWILIO_ACCOUNT_SID',
      matching(
        'TWILIO_ACCOUNT_SID',
        /^AC[0-9a-fA-F]{32}$/,
        'an Account SID (AC followed by 32 hex digits)',
      ),
    ),
    authToken: required('TWILIO_AUTH_TOKEN', optionalStr(env(), 'TWILIO_AUTH_TOKEN')),
    /** Exactly one of `from` and `messagingServiceSid` is set. */
    from: from ?? null,
    messagingServiceSid: messagingServiceSid ?? null,
    apiBaseUrl: url(env(), 'TWILIO_API_BASE_URL', 'https://api.twilio.com', [
      'http:',
      'https:',
    ]).replace(/\/+$/, ''),
    maxConcurrency: int(env(), 'TWILIO_MAX_CONCURRENCY', 100, { min: 1, max: 10_000 }),
    lookupDelayMs: int(env(), 'TWILIO_LOOKUP_DELAY_MS', 2000, { min: 0, max: 600_000 }),
    /** Callback URLs are `${publicBaseUrl}/webhooks/twilio/status` and `…/inbound`. */
    publicBaseUrl: publicBaseUrl(),
  };
}

export const twilioConfig = registerAs('twilio', () => ({ settings: twilioSettings() }));

/** How an SMPP address is numbered: type of number (TON) and numbering plan (NPI). */
export interface SmppAddress {
  addr: string;
  ton: number;
  npi: number;
}

/**
 * SMPP_SOURCE_ADDR with its TON/NPI derived from its form: `+` and digits is international
 * (1/1, sent without the `+`), digits alone national (2/1), anything else alphanumeric (5/0, at
 * most 11 characters).
 */
function smppSourceAddr(value: string): SmppAddress {
  const address = smppAddressOf(value);
  if (address) return address;
  throw new ConfigError(
    'SMPP_SOURCE_ADDR',
    `must be an international number (+447700900123), a national number (digits) or an alphanumeric sender id of at most 11 characters, got "${value}"`,
  );
}

/**
 * An SMPP address with its TON/NPI derived from its form, as SMPP_SOURCE_ADDR's (above); null when
 * it has none of those forms. Also the source of a reply sent from the address a handset wrote to.
 */
export function smppAddressOf(value: string): SmppAddress | null {
  if (/^\+[1-9]\d{6,14}$/.test(value)) return { addr: value.slice(1), ton: 1, npi: 1 };
  if (/^\d{3,15}$/.test(value)) return { addr: value, ton: 2, npi: 1 };
  if (/^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(value)) return { addr: value, ton: 5, npi: 0 };
  return null;
}

/**
 * How long before PROVIDER_TIMEOUT_MS a submit_sm must be written, at least, so its answer (within
 * SMPP_RESPONSE_TIMEOUT_MS) still comes inside the call.
 */
export const SMPP_WRITE_MARGIN_MS = 200;

/** How an SMSC writes message ids in its receipts, relative to its submit_sm_resp ids. */
export const SMPP_RECEIPT_ID_BASES = ['same', 'decimal', 'hex'] as const;

/**
 * SMPP (README, "Connecting to an SMSC"), or null when it is not configured: it is when
 * SMS_PROVIDER is smpp or SMPP_URL is set, and then every required variable must be valid.
 */
function smppSettings() {
  const chosen = optionalStr(env(), 'SMS_PROVIDER') === 'smpp';
  if (!chosen && optionalStr(env(), 'SMPP_URL') === undefined) return null;
  const required = (name: string): string => {
    const value = optionalStr(env(), name);
    if (value === undefined) throw new ConfigError(name, 'is required when SMPP is configured');
    return value;
  };
  const address = new URL(url(env(), 'SMPP_URL', required('SMPP_URL'), ['smpp:']));
  if (
    !address.hostname ||
    !address.port ||
    address.pathname.replace(/^\/$/, '') ||
    address.search ||
    address.username
  ) {
    throw new ConfigError(
      'SMPP_URL',
      `must be smpp://host:port, got "${optionalStr(env(), 'SMPP_URL')}"`,
    );
  }
  const responseTimeoutMs = int(env(), 'SMPP_RESPONSE_TIMEOUT_MS', 8_000, {
    min: 100,
    max: 600_000,
  });
  const providerTimeoutMs = providerTimeout();
  // Otherwise a call's time to write a part ends before it starts: every part waiting for window
  // room or an SMPP_MAX_MPS slot would give up at once, and the messages would never go out.
  if (responseTimeoutMs + SMPP_WRITE_MARGIN_MS >= providerTimeoutMs) {
    throw new ConfigError(
      'SMPP_RESPONSE_TIMEOUT_MS',
      `must be below PROVIDER_TIMEOUT_MS (${providerTimeoutMs}) by more than ${SMPP_WRITE_MARGIN_MS} ms, got ${responseTimeoutMs}`,
    );
  }
  return {
    host: address.hostname.replace(/^\[|\]$/g, ''),
    port: Number(address.port),
    systemId: required('SMPP_SYSTEM_ID'),
    password: required('SMPP_PASSWORD'),
    systemType: str(env(), 'SMPP_SYSTEM_TYPE', ''),
    source: smppSourceAddr(required('SMPP_SOURCE_ADDR')),
    /** Transceiver binds per worker process. */
    binds: int(env(), 'SMPP_BINDS', 1, { min: 1, max: 32 }),
    /** Unacknowledged submit_sm per bind. */
    window: int(env(), 'SMPP_WINDOW', 10, { min: 1, max: 1_000 }),
    /** The account's throughput in submit_sm PDUs per second across every process; 0 = none. */
    maxMps: smppMaxMps(),
    enquireLinkMs: int(env(), 'SMPP_ENQUIRE_LINK_MS', 30_000, { min: 1_000, max: 3_600_000 }),
    responseTimeoutMs,
    /** Whether a submit_sm whose outcome is unknown is sent again (risks a duplicate). */
    resendUnknown: bool(env(), 'SMPP_RESEND_UNKNOWN', false),
    /** Receipts' ids: as submit_sm_resp gave them, or in decimal/hex where it gave the other. */
    receiptIdBase: oneOf(env(), 'SMPP_RECEIPT_ID_BASE', SMPP_RECEIPT_ID_BASES, 'same'),
  };
}

/**
 * The SMPP account's throughput, per second across every process (0 = none): the adapter's guard
 * on submit_sm PDUs and the limiter's ceiling in segments (one PDU per segment) read it alike.
 */
function smppMaxMps(): number {
  return int(env(), 'SMPP_MAX_MPS', 0, { min: 0, max: 100_000 });
}

export const smppConfig = registerAs('smpp', () => ({ settings: smppSettings() }));

/** pino's levels; `silent` turns logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const loggingConfig = registerAs('logging', () => ({
  level: oneOf(env(), 'LOG_LEVEL', LOG_LEVELS, 'info'),
}));

export const adminConfig = registerAs('admin', () => ({
  /** HTTP basic auth password of user `admin` for operator pages (Bull Board); unset disables them. */
  password: secret('ADMIN_PASSWORD'),
  /** Bull Board may retry, clean, pause or add jobs; read-only otherwise. */
  queueBoardWrite: bool(env(), 'QUEUE_BOARD_WRITE', false),
}));

export const metricsConfig = registerAs('metrics', () => ({
  /** `GET /metrics` needs `Authorization: Bearer <token>`; unset: open (a warning at boot). */
  token: secret('METRICS_TOKEN', { bearer: true }),
}));

export const proxyConfig = registerAs('proxy', () => ({
  /**
   * Proxies in front of Salvo whose `X-Forwarded-For` entries are believed, counted from the
   * socket; 0 ignores the header, so a client cannot choose the address it is logged with.
   */
  trustProxy: int(env(), 'TRUST_PROXY', 0, { min: 0, max: 10 }),
}));

/**
 * Throttles shared by every API process through Redis, per minute; 0 turns one off. Failed
 * authentication counts per client address (under TRUST_PROXY), requests and batch creations per
 * account.
 */
export const throttleConfig = registerAs('throttle', () => ({
  authFailuresPerMinute: int(env(), 'AUTH_FAILURES_PER_MINUTE', 20, { min: 0, max: 1_000_000 }),
  requestsPerMinute: int(env(), 'REQUESTS_PER_MINUTE', 1_200, { min: 0, max: 1_000_000_000 }),
  batchesPerMinute: int(env(), 'BATCHES_PER_MINUTE', 60, { min: 0, max: 1_000_000 }),
}));

/** ALLOWED_COUNTRIES' name for numbers of no country: +800, +808, +870, +881, +882, +883, +888, +979. */
export const NON_GEOGRAPHIC = '001';

/** libphonenumber's number types, as BLOCKED_NUMBER_TYPES names them. */
export const NUMBER_TYPES = [
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
  'FIXED_LINE',
  'MOBILE',
  'FIXED_LINE_OR_MOBILE',
] as const;
export type NumberType = (typeof NUMBER_TYPES)[number];

export const DEFAULT_BLOCKED_NUMBER_TYPES: readonly NumberType[] = [
  'PREMIUM_RATE',
  'SHARED_COST',
  'UAN',
  'VOICEMAIL',
  'PAGER',
];

/** Where messages may go (SMS-pumping defences); each account may be narrowed further (CLI). */
export const destinationsConfig = registerAs('destinations', () => {
  const allowedCountries = [
    ...new Set(list(env(), 'ALLOWED_COUNTRIES', []).map((code) => code.toUpperCase())),
  ];
  for (const code of allowedCountries) {
    if (code !== NON_GEOGRAPHIC && !getCountries().includes(code as CountryCode)) {
      throw new ConfigError(
        'ALLOWED_COUNTRIES',
        `must list ISO 3166-1 alpha-2 codes such as US,GB (or ${NON_GEOGRAPHIC} for numbers of no country), got "${code}"`,
      );
    }
  }
  const types = [
    ...new Set(
      list(env(), 'BLOCKED_NUMBER_TYPES', DEFAULT_BLOCKED_NUMBER_TYPES).map((type) =>
        type.toUpperCase(),
      ),
    ),
  ];
  const none = types.length === 1 && types[0] === 'NONE';
  for (const type of none ? [] : types) {
    if (!(NUMBER_TYPES as readonly string[]).includes(type)) {
      throw new ConfigError(
        'BLOCKED_NUMBER_TYPES',
        `must list types among ${NUMBER_TYPES.join(', ')} (or be "none"), got "${type}"`,
      );
    }
  }
  return {
    /** Empty: every country (numbers of no country still need NON_GEOGRAPHIC listed). */
    allowedCountries,
    blockedNumberTypes: (none ? [] : types) as NumberType[],
  };
});

/** Daily quotas per account (UTC day), taken whole when a batch becomes sendable; 0 = none. */
export const quotaConfig = registerAs('quota', () => ({
  dailyMessages: int(env(), 'DAILY_MESSAGE_QUOTA', 0, { min: 0, max: 1_000_000_000_000 }),
  dailySegments: int(env(), 'DAILY_SEGMENT_QUOTA', 0, { min: 0, max: 1_000_000_000_000 }),
}));

/**
 * Consent (issue 17): the keywords an inbound message is matched against, whole and without regard
 * to case or spacing, and the answer to HELP. A keyword in two lists stops the boot.
 */
export const consentConfig = registerAs('consent', () => {
  const optOut = keywords('OPT_OUT_KEYWORDS', DEFAULT_OPT_OUT_KEYWORDS);
  const optIn = keywords('OPT_IN_KEYWORDS', DEFAULT_OPT_IN_KEYWORDS);
  const help = keywords('HELP_KEYWORDS', DEFAULT_HELP_KEYWORDS);
  const seen = new Map<string, string>();
  for (const [name, words] of [
    ['OPT_OUT_KEYWORDS', optOut],
    ['OPT_IN_KEYWORDS', optIn],
    ['HELP_KEYWORDS', help],
  ] as const) {
    for (const word of words) {
      const other = seen.get(word);
      if (other) throw new ConfigError(name, `lists "${word}", which ${other} lists too`);
      seen.set(word, name);
    }
  }
  const helpReply = optionalStr(env(), 'HELP_REPLY_TEXT');
  if (helpReply !== undefined && helpReply.length > 1600) {
    throw new ConfigError(
      'HELP_REPLY_TEXT',
      `must be at most 1600 characters, got ${helpReply.length}`,
    );
  }
  return {
    keywords: { optOut, optIn, help },
    /** Sent to a number that wrote a help keyword; unset: no answer is sent. */
    helpReplyText: helpReply ?? null,
  };
});

function keywords(name: string, fallback: readonly string[]): string[] {
  const words = [...new Set(list(env(), name, fallback).map(normalizeKeyword))];
  for (const word of words) {
    if (word.length > 64)
      throw new ConfigError(name, `keywords must be at most 64 characters, got "${word}"`);
  }
  return words;
}

export const configSections = [
  appConfig,
  databaseConfig,
  redisConfig,
  accountsConfig,
  ingestConfig,
  rateLimitConfig,
  dispatchConfig,
  retryConfig,
  errorRateConfig,
  socketsConfig,
  smsConfig,
  routingConfig,
  deliveryConfig,
  twilioConfig,
  smppConfig,
  loggingConfig,
  adminConfig,
  metricsConfig,
  proxyConfig,
  throttleConfig,
  destinationsConfig,
  quotaConfig,
  consentConfig,
];

export type AppConfig = ConfigType<typeof appConfig>;
export type DatabaseConfig = ConfigType<typeof databaseConfig>;
export type RedisConfig = ConfigType<typeof redisConfig>;
export type AccountsConfig = ConfigType<typeof accountsConfig>;
export type IngestConfig = ConfigType<typeof ingestConfig>;
export type RateLimitConfig = ConfigType<typeof rateLimitConfig>;
export type SmsConfig = ConfigType<typeof smsConfig>;
export type RoutingConfig = ConfigType<typeof routingConfig>;
export type DeliveryConfig = ConfigType<typeof deliveryConfig>;
export type TwilioConfig = ConfigType<typeof twilioConfig>;
export type TwilioSettings = NonNullable<TwilioConfig['settings']>;
export type SmppConfig = ConfigType<typeof smppConfig>;
export type SmppSettings = NonNullable<SmppConfig['settings']>;
export type DispatchConfig = ConfigType<typeof dispatchConfig>;
export type RetryConfig = ConfigType<typeof retryConfig>;
export type ErrorRateConfig = ConfigType<typeof errorRateConfig>;
export type SocketsConfig = ConfigType<typeof socketsConfig>;
export type LoggingConfig = ConfigType<typeof loggingConfig>;
export type AdminConfig = ConfigType<typeof adminConfig>;
export type MetricsConfig = ConfigType<typeof metricsConfig>;
export type ProxyConfig = ConfigType<typeof proxyConfig>;
export type ThrottleConfig = ConfigType<typeof throttleConfig>;
export type DestinationsConfig = ConfigType<typeof destinationsConfig>;
export type QuotaConfig = ConfigType<typeof quotaConfig>;
export type ConsentConfig = ConfigType<typeof consentConfig>;
