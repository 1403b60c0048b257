// Which Authorization headers open /metrics when METRICS_TOKEN is set.
import { bearerTokenMatches } from './metrics-token.guard';

const TOKEN = 'prometheus-scrape-token-0123456789';

describe('bearerTokenMatches', () => {
  it.each<[string, string | undefined, boolean]>([
    ['the token', `Bearer ${TOKEN}`, true],
    ['the scheme in lower case', `bearer ${TOKEN}`, true],
    ['no header', undefined, false],
    ['an empty header', '', false],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`, false],
    ['a longer token', `Bearer ${TOKEN}x`, false],
    ['the token without a scheme', TOKEN, false],
    ['the token in basic auth', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`, false],
    ['an API key', `Bearer salvo_${'k'.repeat(43)}`, false],
  ])('%s', (_case, header, expected) => {
    expect(bearerTokenMatches(header, TOKEN)).toBe(expected);
  });
});
