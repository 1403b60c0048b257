// The priority tiers a batch is sent at, and each one's sending rate in messages per second per
// batch (RATE_LIMIT_HIGH|NORMAL|LOW).
import type { RateLimitConfig } from '../config/configuration';

export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export function tierRate(config: RateLimitConfig, priority: Priority): number {
  switch (priority) {
    case 'high':
      return config.high;
    case 'normal':
      return config.normal;
    case 'low':
      return config.low;
  }
}
