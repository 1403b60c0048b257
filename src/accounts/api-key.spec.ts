import { displayPrefix, generateApiKey, hashApiKey, isSalvoKey, keyFingerprint } from './api-key';

describe('displayPrefix', () => {
  it("shows the first 12 characters of a key of Salvo's own form", () => {
    const key = generateApiKey();
    expect(isSalvoKey(key)).toBe(true);
    expect(displayPrefix(key)).toBe(key.slice(0, 12));
  });

  it.each([
    ['16 characters, the shortest BOOTSTRAP_API_KEY', 'k'.repeat(16)],
    ['beginning like a key of Salvo', 'salvo_bootstrap_0123456789'],
    ['one character short of the form', `salvo_${'a'.repeat(42)}`],
    ['one character more than the form', `salvo_${'a'.repeat(44)}`],
    ['a character outside base64url', `salvo_${'a'.repeat(42)}+`],
  ])('shows a fingerprint of the hash, none of the key, for a key %s', (_what, key) => {
    const shown = displayPrefix(key);
    expect(shown).toBe(`sha256:${hashApiKey(key).slice(0, 8)}`);
    expect(shown).toBe(keyFingerprint(hashApiKey(key)));
    expect(shown).toMatch(/^sha256:[0-9a-f]{8}$/);
  });
});
