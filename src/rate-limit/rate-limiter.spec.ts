import type Redis from 'ioredis';
import type { RateLimitConfig } from '../config/configuration';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter.lateToleranceMs', () => {
  const limiter = (providerMaxMps: number, twilio: number) =>
    new RateLimiter(
      { defineCommand: () => undefined } as unknown as Redis,
      {
        providerMaxMps,
        providerCeilings: { simulated: 0, twilio, smpp: 0 },
      } as unknown as RateLimitConfig,
      { url: 'redis://127.0.0.1:6379', prefix: 'unit', commandTimeoutMs: 2_000 },
    );

  it('lets a send go late by half a permit at the tighter ceiling, within 2 to 20 ms', () => {
    expect(limiter(30, 0).lateToleranceMs('twilio')).toBeCloseTo(500 / 30);
    expect(limiter(300, 100).lateToleranceMs('twilio')).toBe(5);
    expect(limiter(0, 8).lateToleranceMs('twilio')).toBe(20);
    expect(limiter(0, 1000).lateToleranceMs('twilio')).toBe(2);
  });

  it('has no tolerance to keep without a ceiling', () => {
    expect(limiter(0, 0).lateToleranceMs('twilio')).toBeNull();
    expect(limiter(0, 8).lateToleranceMs('smpp')).toBeNull();
  });
});
