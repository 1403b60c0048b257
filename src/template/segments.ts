// Counts SMS segments (GSM 03.38 septets or UCS-2 code units) so every rendered message can be priced.
import {
  GSM_BASIC,
  GSM_ESCAPE,
  GSM_EXTENSION,
  GSM_PART_LIMIT,
  GSM_SINGLE_LIMIT,
  UCS_PART_LIMIT,
  UCS_SINGLE_LIMIT,
} from '../common/gsm-alphabet';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  characters: number;
  segments: number;
}

// Septets per UTF-16 code unit, 0 = forces UCS-2. A full 64K table (built once) keeps the hot loop to one load with no range checks.
const SEPTETS = new Uint8Array(0x10000);
for (let code = 0; code < GSM_BASIC.length; code++) {
  if (code !== GSM_ESCAPE) SEPTETS[GSM_BASIC.charCodeAt(code)] = 1;
}
for (const char of GSM_EXTENSION.keys()) SEPTETS[char.charCodeAt(0)] = 2;

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
