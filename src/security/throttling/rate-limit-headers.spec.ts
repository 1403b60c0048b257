// The RateLimit fields as draft-ietf-httpapi-ratelimit-headers-10 writes them (structured fields).
import {
  policyField,
  rateLimitField,
  rateLimitHeaders,
  retryAfterSeconds,
  wholeSeconds,
  type QuotaPolicy,
  type ServiceLimit,
} from './rate-limit-headers';

const requests: QuotaPolicy = { name: 'requests', quota: 1200, windowSeconds: 60 };
const batches: QuotaPolicy = { name: 'batches', quota: 60, windowSeconds: 60 };

describe('RateLimit-Policy', () => {
  it.each<[string, QuotaPolicy[], string | undefined]>([
    ['one policy', [requests], '"requests";q=1200;w=60'],
    ['two policies, in order', [requests, batches], '"requests";q=1200;w=60, "batches";q=60;w=60'],
    [
      'the auth lock',
      [{ name: 'auth-failures', quota: 20, windowSeconds: 60 }],
      '"auth-failures";q=20;w=60',
    ],
    ['no policy: no field', [], undefined],
  ])('%s', (_case, policies, expected) => {
    expect(policyField(policies)).toBe(expected);
  });
});

describe('RateLimit', () => {
  it.each<[string, ServiceLimit[], string | undefined]>([
    [
      'what is left',
      [{ name: 'requests', remaining: 1187, resetSeconds: 42 }],
      '"requests";r=1187;t=42',
    ],
    [
      'two policies',
      [
        { name: 'requests', remaining: 3, resetSeconds: 42 },
        { name: 'batches', remaining: 0, resetSeconds: 7 },
      ],
      '"requests";r=3;t=42, "batches";r=0;t=7',
    ],
    [
      'never negative',
      [{ name: 'requests', remaining: -4, resetSeconds: -1 }],
      '"requests";r=0;t=0',
    ],
    ['nothing known: no field', [], undefined],
  ])('%s', (_case, limits, expected) => {
    expect(rateLimitField(limits)).toBe(expected);
  });
});

describe('seconds', () => {
  it.each<[number, number, number]>([
    // ms, reset (t), Retry-After
    [42_000, 42, 42],
    [41_001, 42, 42],
    [1, 1, 1],
    [0, 0, 1],
    [-5, 0, 1],
    [59_999, 60, 60],
  ])('%i ms: t=%i, Retry-After %i (rounded up, a refusal waits at least 1 s)', (ms, t, retry) => {
    expect(wholeSeconds(ms)).toBe(t);
    expect(retryAfterSeconds(ms)).toBe(retry);
  });
});

describe('rateLimitHeaders', () => {
  it('a refusal: the policy, what is left and Retry-After', () => {
    expect(
      rateLimitHeaders([requests], [{ name: 'requests', remaining: 0, resetSeconds: 42 }], 42),
    ).toEqual({
      'RateLimit-Policy': '"requests";q=1200;w=60',
      RateLimit: '"requests";r=0;t=42',
      'Retry-After': '42',
    });
  });

  it('Redis did not answer: the policy alone', () => {
    expect(rateLimitHeaders([requests], [])).toEqual({
      'RateLimit-Policy': '"requests";q=1200;w=60',
    });
  });

  it('every throttle off: no header at all', () => {
    expect(rateLimitHeaders([], [])).toEqual({});
  });
});
