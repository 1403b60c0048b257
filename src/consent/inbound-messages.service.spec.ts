import { isInboundCursor } from './inbound-messages.service';

const ID = '0193a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b';

describe('isInboundCursor', () => {
  it.each([
    [{ receivedAt: '2026-11-30T12:00:00.123456Z', id: ID }, true],
    [{ receivedAt: '1970-01-01T00:00:00.000000Z', id: ID }, true],
    [{ receivedAt: '2026-11-30T12:00:00.123Z', id: ID }, false],
    [{ receivedAt: '2026-02-30T12:00:00.123456Z', id: ID }, false],
    [{ receivedAt: '0000-01-01T00:00:00.000000Z', id: ID }, false],
    [{ receivedAt: '+275760-09-13T00:00:00.000000Z', id: ID }, false],
    [{ receivedAt: '2026-11-30T12:00:00.123456Z', id: 'x' }, false],
    [{ receivedAt: 5, id: ID }, false],
    [{ id: ID }, false],
    [null, false],
    ['cursor', false],
  ])('%j is a cursor: %s', (value, expected) => {
    expect(isInboundCursor(value)).toBe(expected);
  });
});
