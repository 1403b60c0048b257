// Counts SMS segments (GSM 03.38 septets or UCS-2 code units) so every rendered message can be priced.

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  characters: number;
  segments: number;
}

const GSM_SINGLE_LIMIT = 160;
// Concatenated parts lose room to the 6-byte user data header.
const GSM_PART_LIMIT = 153;
const UCS_SINGLE_LIMIT = 70;
const UCS_PART_LIMIT = 67;

// GSM 03.38 basic table in code order 0x00..0x7F; 0x1B (ESC) is omitted because it only introduces the extension table.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅå' +
  'Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ' +
  ' !"#¤%&\'()*+,-./' +
  '0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNO' +
  'PQRSTUVWXYZÄÖÑÜ§' +
  '¿abcdefghijklmno' +
  'pqrstuvwxyzäöñüà';

// Extension table characters cost ESC + the character itself.
const GSM_EXTENSION = '\f^{}\\[~]|€';

// Septets per UTF-16 code unit, 0 = forces UCS-2. A full 64K table (built once) keeps the hot loop to one load with no range checks.
const SEPTETS = new Uint8Array(0x10000);
for (let i = 0; i < GSM_BASIC.length; i++) SEPTETS[GSM_BASIC.charCodeAt(i)] = 1;
for (let i = 0; i < GSM_EXTENSION.length; i++) SEPTETS[GSM_EXTENSION.charCodeAt(i)] = 2;

export function countSegments(text: string): SegmentCount {
  const length = text.length;
  if (length === 0) return { encoding: 'GSM-7', characters: 0, segments: 0 };

  // Packing is tracked while counting so a long message needs only one pass; an escape pair never straddles two parts.
  let septets = 0;
  let gsmSegments = 1;
  let gsmUsed = 0;
  let i = 0;
  for (; i < length; i++) {
    const width = SEPTETS[text.charCodeAt(i)];
    if (width === 0) break;
    septets += width;
    if (gsmUsed + width > GSM_PART_LIMIT) {
      gsmSegments++;
      gsmUsed = width;
    } else {
      gsmUsed += width;
    }
  }
  if (i === length) {
    return {
      encoding: 'GSM-7',
      characters: septets,
      segments: septets <= GSM_SINGLE_LIMIT ? 1 : gsmSegments,
    };
  }

  // The GSM prefix is all single, non-surrogate units, so its UCS-2 packing is plain arithmetic and we resume instead of restarting.
  let ucsSegments = i === 0 ? 1 : Math.ceil(i / UCS_PART_LIMIT);
  let ucsUsed = i - (ucsSegments - 1) * UCS_PART_LIMIT;
  for (; i < length; i++) {
    let width = 1;
    const code = text.charCodeAt(i);
    // Only a well-formed pair is kept together; a lone surrogate is sent as a single unit.
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        width = 2;
        i++;
      }
    }
    if (ucsUsed + width > UCS_PART_LIMIT) {
      ucsSegments++;
      ucsUsed = width;
    } else {
      ucsUsed += width;
    }
  }
  return {
    encoding: 'UCS-2',
    characters: length,
    segments: length <= UCS_SINGLE_LIMIT ? 1 : ucsSegments,
  };
}
