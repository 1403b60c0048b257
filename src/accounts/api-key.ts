// API keys: 256 random bits behind a recognisable prefix, stored only as a SHA-256 hash.
import { createHash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'salvo_';
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 6;
/** A key Salvo made: `salvo_` and 32 random bytes in base64url (43 characters). */
const SALVO_KEY = /^salvo_[A-Za-z0-9_-]{43}$/;
/** Hex digits of the key's hash shown for keys of another form. */
const FINGERPRINT_LENGTH = 8;

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** A fast hash is right here: keys carry 256 bits of entropy, so there is nothing to brute-force. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function isSalvoKey(key: string): boolean {
  return SALVO_KEY.test(key);
}

/** What lists show of a key whose own characters must not be shown: `sha256:` and 8 hex digits. */
export function keyFingerprint(keyHash: string): string {
  return `sha256:${keyHash.slice(0, FINGERPRINT_LENGTH)}`;
}

/**
 * What lists show to recognise a key, never enough to use it: the first 12 characters of a key
 * Salvo made (`salvo_` and 6 of its 43 random ones). Any other key (BOOTSTRAP_API_KEY may be as
 * short as 16 characters, whose first 12 would be most of it) shows a fingerprint of its hash.
 */
export function displayPrefix(key: string): string {
  return isSalvoKey(key) ? key.slice(0, DISPLAY_PREFIX_LENGTH) : keyFingerprint(hashApiKey(key));
}
