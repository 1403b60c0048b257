// Checks the 500 answer's correlation id: the request id when there is one, so it leads to the log.
import { Logger } from '@nestjs/common';
import { AllExceptionsFilter } from './all-exceptions.filter';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('AllExceptionsFilter 500 answers', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it.each<[string, string | undefined, string | RegExp]>([
    ['the request id as correlation id', 'req-42.a_b', 'req-42.a_b'],
    ['a new UUID without a request id', undefined, UUID],
  ])('carries %s', (_case, requestId, expected) => {
    const body = new AllExceptionsFilter().toBody(new Error('boom'), requestId);
    expect(body).toMatchObject({ statusCode: 500, error: 'INTERNAL' });
    expect(body.correlationId).toEqual(
      typeof expected === 'string' ? expected : expect.stringMatching(expected),
    );
  });
});
