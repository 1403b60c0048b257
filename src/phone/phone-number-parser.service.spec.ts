import type { IngestConfig } from '../config/configuration';
import { PhoneNumberParserService } from './phone-number-parser.service';

const config = (phoneWorkers: number): IngestConfig => ({
  maxRecipientsPerRequest: 100_000,
  defaultCountry: undefined,
  maxBodyMb: 64,
  maxConcurrentLargeBodies: 2,
  largeBodyWaitMs: 10_000,
  bodyIdleTimeoutMs: 10_000,
  largeBodyMinKbps: 512,
  phoneWorkers,
  idempotencyTtlHours: 24,
  idempotencyLeaseMs: 30_000,
  defaultSendWindow: null,
});

const numbers = (count: number) =>
  Array.from({ length: count }, (_, i) =>
    i % 1000 === 7 ? 'not a number' : `+1202555${String(i % 10_000).padStart(4, '0')}`,
  );

describe('PhoneNumberParserService', () => {
  let parsers: PhoneNumberParserService[] = [];
  const newParser = (workers: number) => {
    const parser = new PhoneNumberParserService(config(workers));
    parsers.push(parser);
    return parser;
  };
  afterEach(async () => {
    await Promise.all(parsers.map((parser) => parser.onModuleDestroy()));
    parsers = [];
  });

  it.each([
    ['on the calling thread', 0, 5_000],
    ['on two threads', 2, 5_000],
    ['on three threads, uneven slices', 3, 4_001],
    ['inline below the threshold', 2, 100],
  ])('answers in input order %s', async (_case, workers, count) => {
    const input = numbers(count);
    const results = await newParser(workers).parse(input);
    expect(results).toHaveLength(count);
    results.forEach((result, i) => {
      expect(result).toEqual(
        i % 1000 === 7
          ? { problem: expect.any(String) }
          : { e164: input[i], country: 'US', type: 'FIXED_LINE_OR_MOBILE' },
      );
    });
  });

  it('rejects the work in flight when shut down, instead of leaving it hanging', async () => {
    const parser = newParser(2);
    const outcome = expect(parser.parse(numbers(50_000))).rejects.toThrow(/shutting down/);
    await parser.onModuleDestroy();
    await outcome;
  });
});
