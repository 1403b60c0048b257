// What scrapes show of queues, batches, daily usage and breakers, and scrapes that survive a dependency down.
import { MetricsService } from '../../metrics/metrics.service';
import { ScrapeGauges } from './scrape-gauges';

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const QUEUES = {
  high: { waiting: 1, active: 2, delayed: 0 },
  normal: { waiting: 0, active: 0, delayed: 3 },
  low: { waiting: 0, active: 0, delayed: 0 },
};

const USAGE = [
  { accountId: 'a1', accountName: 'Acme "EU"', day: '2026-11-30', messages: 120, segments: 240 },
  { accountId: 'b2', accountName: 'Beta', day: '2026-11-29', messages: 5, segments: 7 },
];

const BREAKERS = new Map([
  ['twilio', 'open'],
  ['smpp', 'half-open'],
  ['simulated', 'closed'],
] as const);

describe('ScrapeGauges', () => {
  it('reads queue depths and batch counts on scrape', async () => {
    const metrics = new MetricsService();
    new ScrapeGauges(metrics.registry, {
      queueDepths: () => Promise.resolve(QUEUES),
      batchesByStatus: () => Promise.resolve({ processing: 2, completed: 5 }),
      dailyUsage: () => Promise.resolve(USAGE),
      breakerStates: () => Promise.resolve(BREAKERS),
    });
    const text = await metrics.scrape();
    expect(value(text, 'salvo_queue_depth{priority="high",state="active"}')).toBe(2);
    expect(value(text, 'salvo_queue_depth{priority="normal",state="delayed"}')).toBe(3);
    expect(value(text, 'salvo_batches{status="completed"}')).toBe(5);
    expect(value(text, 'salvo_batches{status="paused"}')).toBe(0);
    const acme = 'account_id="a1",account="Acme \\"EU\\"",day="2026-11-30"';
    expect(value(text, `salvo_daily_messages{${acme}}`)).toBe(120);
    expect(value(text, `salvo_daily_segments{${acme}}`)).toBe(240);
    expect(
      value(text, 'salvo_daily_segments{account_id="b2",account="Beta",day="2026-11-29"}'),
    ).toBe(7);
    expect(value(text, 'salvo_provider_breaker_state{provider="twilio"}')).toBe(2);
    expect(value(text, 'salvo_provider_breaker_state{provider="smpp"}')).toBe(1);
    expect(value(text, 'salvo_provider_breaker_state{provider="simulated"}')).toBe(0);
  });

  it('leaves out what it cannot read, keeps the rest, and brings it back', async () => {
    const metrics = new MetricsService();
    let redisUp = true;
    new ScrapeGauges(metrics.registry, {
      queueDepths: () => (redisUp ? Promise.resolve(QUEUES) : new Promise(() => undefined)),
      batchesByStatus: () => Promise.reject(new Error('ECONNREFUSED')),
      dailyUsage: () => Promise.reject(new Error('ECONNREFUSED')),
      breakerStates: () => (redisUp ? Promise.resolve(BREAKERS) : new Promise(() => undefined)),
    });
    expect(await metrics.scrape()).toMatch(/^salvo_queue_depth\{/m);
    redisUp = false;
    const text = await metrics.scrape();
    expect(text).not.toMatch(/^salvo_queue_depth\{/m);
    expect(text).not.toMatch(/^salvo_batches\{/m);
    expect(text).not.toMatch(/^salvo_daily_messages\{/m);
    expect(text).not.toMatch(/^salvo_provider_breaker_state\{/m);
    expect(value(text, 'salvo_messages_sent_total{priority="high"}')).toBe(0);
    redisUp = true;
    const back = await metrics.scrape();
    expect(back).toMatch(/^salvo_queue_depth\{/m);
    expect(value(back, 'salvo_provider_breaker_state{provider="twilio"}')).toBe(2);
  });
});
