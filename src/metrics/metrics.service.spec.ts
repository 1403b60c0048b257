// What the metrics say after dispatch, the gateway and the defences count into them.
import { MetricsService, attemptOutcome, type SendObservation } from './metrics.service';

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const call = (overrides: Partial<SendObservation>): SendObservation => ({
  priority: 'normal',
  status: 'sent',
  category: null,
  waitMs: 20,
  latencyMs: 5,
  ...overrides,
});

describe('attemptOutcome', () => {
  it.each<[SendObservation['status'], SendObservation['category'], string]>([
    ['sent', null, 'accepted'],
    ['pending', 'provider_error', 'failed'],
    ['failed', 'invalid_number', 'failed'],
    ['pending', 'timeout', 'failed'],
    ['pending', 'rate_limited', 'rate_limited'],
    ['failed', 'rate_limited', 'rate_limited'],
  ])('%s after %s is %s', (status, category, expected) => {
    expect(attemptOutcome(status, category)).toBe(expected);
  });
});

describe('MetricsService', () => {
  it('counts sends, final failures by category and every attempt, with their waits', async () => {
    const metrics = new MetricsService();
    metrics.sendObserved(call({ priority: 'high' }));
    metrics.sendObserved(call({ priority: 'high', status: 'pending', category: 'provider_error' }));
    metrics.sendObserved(call({ priority: 'high', status: 'pending', category: 'rate_limited' }));
    metrics.sendObserved(call({ priority: 'low', status: 'failed', category: 'opted_out' }));
    metrics.sendObserved(call({ priority: 'low', waitMs: 1500, latencyMs: 2000 }));
    const text = await metrics.scrape();

    expect(value(text, 'salvo_messages_sent_total{priority="high"}')).toBe(1);
    expect(value(text, 'salvo_messages_sent_total{priority="low"}')).toBe(1);
    expect(value(text, 'salvo_messages_sent_total{priority="normal"}')).toBe(0);
    expect(value(text, 'salvo_messages_failed_total{priority="low",category="opted_out"}')).toBe(1);
    expect(
      value(text, 'salvo_messages_failed_total{priority="high",category="provider_error"}'),
    ).toBe(0);
    expect(value(text, 'salvo_message_attempts_total{priority="high",outcome="accepted"}')).toBe(1);
    expect(value(text, 'salvo_message_attempts_total{priority="high",outcome="failed"}')).toBe(1);
    expect(
      value(text, 'salvo_message_attempts_total{priority="high",outcome="rate_limited"}'),
    ).toBe(1);
    expect(value(text, 'salvo_provider_latency_seconds_count')).toBe(5);
    expect(value(text, 'salvo_provider_latency_seconds_bucket{le="1"}')).toBe(4);
    expect(value(text, 'salvo_limiter_wait_seconds_bucket{le="1",priority="low"}')).toBe(1);
    expect(value(text, 'salvo_limiter_wait_seconds_sum{priority="low"}')).toBeCloseTo(1.52);
  });

  it('counts receipts by state and category, and final ones in the delivery latency', async () => {
    const metrics = new MetricsService();
    metrics.receiptApplied({ state: 'sent', category: null, latencyMs: null });
    metrics.receiptApplied({ state: 'delivered', category: null, latencyMs: 800 });
    metrics.receiptApplied({ state: 'undelivered', category: 'unreachable', latencyMs: 40_000 });
    const text = await metrics.scrape();

    expect(value(text, 'salvo_receipts_total{status="sent",category="none"}')).toBe(1);
    expect(value(text, 'salvo_receipts_total{status="delivered",category="none"}')).toBe(1);
    expect(value(text, 'salvo_receipts_total{status="undelivered",category="unreachable"}')).toBe(
      1,
    );
    expect(value(text, 'salvo_receipts_total{status="accepted",category="none"}')).toBe(0);
    expect(value(text, 'salvo_delivery_latency_seconds_count')).toBe(2);
    expect(value(text, 'salvo_delivery_latency_seconds_bucket{le="1"}')).toBe(1);
    expect(value(text, 'salvo_delivery_latency_seconds_sum')).toBeCloseTo(40.8);
  });

  it('counts events and connected sockets for the gateway', async () => {
    const metrics = new MetricsService();
    metrics.eventEmitted('batch.progress');
    metrics.eventEmitted('batch.progress', 4);
    metrics.socketConnected();
    metrics.socketConnected();
    metrics.socketDisconnected();
    const text = await metrics.scrape();
    expect(value(text, 'salvo_events_emitted_total{event="batch.progress"}')).toBe(5);
    expect(value(text, 'salvo_sockets_connected')).toBe(1);
  });

  it('keeps two services apart (a registry each) and carries Node default metrics', async () => {
    const [a, b] = [new MetricsService(), new MetricsService()];
    a.sendObserved(call({}));
    expect(value(await b.scrape(), 'salvo_messages_sent_total{priority="normal"}')).toBe(0);
    expect(await a.scrape()).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});
