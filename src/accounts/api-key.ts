// API keys: 256 random bits behind a recognisable prefix, stored only as a SHA-256 hash.
import { createHash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'salvo_';
const DISPLAY_PREFIX_LENGTH = KEY_PREFIX.length + 6;

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** A fast hash is right here: keys carry 256 bits of entropy, so there is nothing to brute-force. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH);
}
