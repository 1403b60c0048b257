// Each priority's sending rate, in messages per second per batch (RATE_LIMIT_HIGH|NORMAL|LOW).
import type { Priority } from '../batch/entities/batch.entity';
import type { RateLimitConfig } from '../config/configuration';

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
