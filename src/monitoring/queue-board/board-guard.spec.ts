// Which Origin headers count as Bull Board's own page, the only one allowed to change queues.
import { isSameOrigin } from './board-guard';

describe('isSameOrigin', () => {
  it.each<[string, string | undefined, string | undefined, boolean]>([
    ['the same host and port', 'http://127.0.0.1:3000', '127.0.0.1:3000', true],
    ['the same host behind TLS', 'https://ops.example.com', 'ops.example.com', true],
    ['a default port written out in Host', 'https://ops.example.com', 'ops.example.com:443', true],
    ['host case', 'https://OPS.example.com', 'ops.EXAMPLE.com', true],
    ['no Origin', undefined, 'ops.example.com', false],
    ['no Host', 'https://ops.example.com', undefined, false],
    ['an opaque origin', 'null', 'ops.example.com', false],
    ['another site', 'https://evil.example', 'ops.example.com', false],
    ['a suffix of the host', 'https://ops.example.com.evil.example', 'ops.example.com', false],
    ['another port', 'http://127.0.0.1:3001', '127.0.0.1:3000', false],
    ['another scheme', 'file://ops.example.com', 'ops.example.com', false],
    ['a Host with a path', 'https://ops.example.com', 'ops.example.com/x', false],
  ])('%s', (_case, origin, host, expected) => {
    expect(isSameOrigin(origin, host)).toBe(expected);
  });
});
