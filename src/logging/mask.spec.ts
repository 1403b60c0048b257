// Checks what a log line may show of a phone number or an API key.
import { maskPhoneNumber, maskSecrets } from './mask';

const KEY = `salvo_${'A1b2-C3d4_'.repeat(4)}xyz`; // 43 characters after the prefix, as issued

describe('maskPhoneNumber keeps the country calling code and the last 2 digits', () => {
  it.each([
    ['a US number', '+12025550123', '+1********23'],
    ['a UK mobile', '+447911123456', '+44********56'],
    ['a German mobile', '+4915123456789', '+49*********89'],
    ['an Irish number (3-digit code)', '+35312345678', '+353******78'],
    ['a Chinese mobile', '+8613812345678', '+86*********78'],
    ['the shortest E.164 we look for', '+12345678', '+1*****78'],
    ['the longest E.164', '+123456789012345', '+1************45'],
    ['an unassigned calling code: the first digit only', '+99912345678', '+9********78'],
    ['a number without its +', '12025550123', '+1********23'],
    ['too short to keep anything', '+123', '+***'],
    ['not a number', '+1-202-555', '+***'],
  ])('%s: %s -> %s', (_case, input, expected) => {
    expect(maskPhoneNumber(input)).toBe(expected);
  });

  it('never keeps more than the calling code and 2 digits', () => {
    for (let length = 4; length <= 15; length++) {
      const number = `+1${'5'.repeat(length - 1)}`;
      const masked = maskPhoneNumber(number);
      expect(masked).toHaveLength(number.length);
      expect(masked.replace(/\D/g, '').length).toBeLessThanOrEqual(3);
    }
  });
});

describe('maskSecrets masks numbers and keys anywhere in a text', () => {
  it.each([
    ['a number in a sentence', 'Sending to +12025550123 failed', 'Sending to +1********23 failed'],
    ['several numbers', 'from +12025550190,+447911123456;', 'from +1********90,+44********56;'],
    ['a number inside JSON', '{"to":"+12025550192"}', '{"to":"+1********92"}'],
    ['a number in a query string', '/api/x?to=+12025550123&a=1', '/api/x?to=+1********23&a=1'],
    ['a URL-encoded number', '/api/x?to=%2B12025550123', '/api/x?to=%2B1********23'],
    ['an API key', `Bearer ${KEY}`, 'Bearer salvo_***'],
    ['an API key inside a stack', `Error: bad ${KEY}\n    at x`, 'Error: bad salvo_***\n    at x'],
    ['a key and a number', `${KEY} +12025550123`, 'salvo_*** +1********23'],
    ['7 digits are not a number to mask', 'retry in +1234567 ms', 'retry in +1234567 ms'],
    ['16 digits are not E.164', '+1234567890123456', '+1234567890123456'],
    ['a plus between numbers', '1+2=3', '1+2=3'],
    ['a short salvo_ name', 'database salvo_test_42', 'database salvo_test_42'],
    [
      'nothing to mask',
      'Applied migration Dispatch1764334800000',
      'Applied migration Dispatch1764334800000',
    ],
    ['an empty text', '', ''],
  ])('%s', (_case, input, expected) => {
    expect(maskSecrets(input)).toBe(expected);
  });
});
