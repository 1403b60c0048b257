import { deliveryRate, messagesPerSecond, successRate } from './batch-metrics';

describe('successRate', () => {
  it.each([
    [0, 0, 0],
    [3, 1, 0.75],
    [0, 5, 0],
    [5, 0, 1],
  ])('%d completed, %d failed -> %d', (completed, failed, expected) => {
    expect(successRate({ completed, failed })).toBe(expected);
  });
});

describe('deliveryRate', () => {
  it.each([
    [0, 0, null],
    [3, 1, 0.75],
    [0, 2, 0],
    [4, 0, 1],
  ])('%d delivered, %d undelivered -> %s', (delivered, undelivered, expected) => {
    expect(deliveryRate({ delivered, undelivered })).toBe(expected);
  });
});

describe('messagesPerSecond', () => {
  it.each<[string, Parameters<typeof messagesPerSecond>[0], number]>([
    [
      'processing for a minute: the last 10 s',
      { status: 'processing', completed: 400, processingMs: 60_000, recentlyAccepted: 80 },
      8,
    ],
    [
      'processing for 4 s: the 4 s so far',
      { status: 'processing', completed: 20, processingMs: 4_000, recentlyAccepted: 20 },
      5,
    ],
    [
      'processing, just started',
      { status: 'processing', completed: 0, processingMs: 0, recentlyAccepted: 0 },
      0,
    ],
    ['paused', { status: 'paused', completed: 100, processingMs: 20_000, recentlyAccepted: 50 }, 0],
    ['pending', { status: 'pending', completed: 0, processingMs: 0, recentlyAccepted: 0 }, 0],
    [
      'completed: the average over processing time',
      { status: 'completed', completed: 100, processingMs: 50_000, recentlyAccepted: 3 },
      2,
    ],
    [
      'cancelled',
      { status: 'cancelled', completed: 30, processingMs: 10_000, recentlyAccepted: 0 },
      3,
    ],
    [
      'failed before processing time was counted',
      { status: 'failed', completed: 0, processingMs: 0, recentlyAccepted: 0 },
      0,
    ],
  ])('%s', (_case, input, expected) => {
    expect(messagesPerSecond(input)).toBeCloseTo(expected, 6);
  });
});
