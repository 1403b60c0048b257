import { parseSubscription } from './subscription';

const ID = '0192f0c1-7d2a-7c3b-8e4f-0123456789ab';

describe('parseSubscription', () => {
  it('takes one batch by id, or every batch of the account', () => {
    expect(parseSubscription('subscribe', { batchId: ID })).toEqual({ kind: 'batch', batchId: ID });
    expect(parseSubscription('subscribe', { batchId: ID.toUpperCase() })).toEqual({
      kind: 'batch',
      batchId: ID,
    });
    expect(parseSubscription('subscribe', { all: true })).toEqual({ kind: 'all' });
  });

  it.each([
    ['nothing', undefined],
    ['null', null],
    ['a string', ID],
    ['a number', 42],
    ['an array', [ID]],
    ['an empty object', {}],
    ['all: false', { all: false }],
    ['all: "yes"', { all: 'yes' }],
    ['both', { batchId: ID, all: true }],
  ])('refuses %s with VALIDATION_FAILED naming the shape', (_name, payload) => {
    const ack = parseSubscription('unsubscribe', payload);
    expect(ack).toEqual({
      error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('unsubscribe takes') },
    });
  });

  it.each([['not-a-uuid'], [''], [123], [{ id: ID }]])(
    'refuses the batchId %p as INVALID_ID',
    (batchId) => {
      expect(parseSubscription('subscribe', { batchId })).toEqual({
        error: { code: 'INVALID_ID', message: 'The batchId must be a UUID.' },
      });
    },
  );
});
