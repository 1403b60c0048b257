// Time-ordered UUIDs (RFC 9562, version 7) for message ids: a batch's rows land at the right edge of
// the primary key's b-tree instead of at random pages, which keeps bulk ingest fast.
import { randomFillSync } from 'node:crypto';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** `count` UUIDv7 strings sharing the current millisecond, random in their lower 74 bits. */
export function uuidV7s(count: number, now = Date.now()): string[] {
  const bytes = randomFillSync(Buffer.allocUnsafe(count * 16));
  const ids = new Array<string>(count);
  const timeHigh = Math.floor(now / 2 ** 16);
  const timeLow = now % 2 ** 16;
  for (let i = 0; i < count; i++) {
    const o = i * 16;
    bytes.writeUIntBE(timeHigh, o, 4);
    bytes.writeUInt16BE(timeLow, o + 4);
    bytes[o + 6] = 0x70 | (bytes[o + 6] & 0x0f);
    bytes[o + 8] = 0x80 | (bytes[o + 8] & 0x3f);
    let id = '';
    for (let j = 0; j < 16; j++) {
      if (j === 4 || j === 6 || j === 8 || j === 10) id += '-';
      id += HEX[bytes[o + j]];
    }
    ids[i] = id;
  }
  return ids;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
