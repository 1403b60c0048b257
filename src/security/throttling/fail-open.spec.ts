// When Redis fails, the throttles let requests through: one warning per outage, a line when it
// is back, and no call to Redis for a moment after a failure.
import { FailOpen } from './fail-open';

function newFailOpen(retryMs = 0) {
  const lines: string[] = [];
  const logger = {
    warn: (message: string) => lines.push(`warn: ${message}`),
    log: (message: string) => lines.push(`log: ${message}`),
  };
  return { failOpen: new FailOpen(logger, 50, retryMs), lines };
}

const down = () => Promise.reject(new Error('Connection is closed.'));

describe('FailOpen', () => {
  it('answers what Redis answered', async () => {
    const { failOpen, lines } = newFailOpen();
    expect(await failOpen.run(() => Promise.resolve(7))).toBe(7);
    expect(lines).toEqual([]);
  });

  it('passes on errors and late answers, warning once per outage and saying when it is over', async () => {
    const { failOpen, lines } = newFailOpen();
    expect(await failOpen.run(down)).toBeUndefined();
    expect(await failOpen.run(() => new Promise<number>(() => undefined))).toBeUndefined();
    expect(await failOpen.run(down)).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warn: Redis did not answer a throttle \(Connection is closed\.\)/);
    expect(await failOpen.run(() => Promise.resolve(1))).toBe(1);
    expect(await failOpen.run(() => Promise.resolve(2))).toBe(2);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^log: Redis answers the throttles again/);
    // A second outage is reported again.
    await failOpen.run(down);
    expect(lines).toHaveLength(3);
  });

  it('after a failure, does not ask Redis again for a moment', async () => {
    const { failOpen } = newFailOpen(60_000);
    let calls = 0;
    const counted = () => {
      calls++;
      return down();
    };
    await failOpen.run(counted);
    for (let i = 0; i < 10; i++) expect(await failOpen.run(counted)).toBeUndefined();
    expect(calls).toBe(1);
  });
});
