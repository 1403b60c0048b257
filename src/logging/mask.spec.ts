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

describe('maskSecrets masks numbers written with separators or an international prefix', () => {
  it.each([
    ['dashes', '/api/x?to=+1-202-555-0199', '/api/x?to=+1********99'],
    ['URL-encoded with dashes', '/api/x?to=%2B1-202-555-0199', '/api/x?to=%2B1********99'],
    ['spaces', 'call +44 7911 123456 now', 'call +44********56 now'],
    ['URL-encoded spaces', '/x?to=%2B44%207911%20123456', '/x?to=%2B44********56'],
    ['dots and parentheses', 'to +1 (202) 555.0199.', 'to +1********99.'],
    ['00 instead of +', '/api/x/0012025550199', '/api/x/001********99'],
    ['00 in a query', '/x?to=00447911123456&a=1', '/x?to=0044********56&a=1'],
    ['00 inside JSON', '{"to":"0012025550199"}', '{"to":"001********99"}'],
    ['a timestamp holding 00 is not a number', '"time":1764331200123', '"time":1764331200123'],
    ['an ISO date is not a number', '2026-11-30T05:40:16+00:00', '2026-11-30T05:40:16+00:00'],
    [
      'a UUID is not a number',
      '019ad2c0-0012-7000-8000-001234567890',
      '019ad2c0-0012-7000-8000-001234567890',
    ],
    ['7 digits with dashes are not a number', 'retry in +1-234-567 ms', 'retry in +1-234-567 ms'],
  ])('%s', (_case, input, expected) => {
    expect(maskSecrets(input)).toBe(expected);
  });
});

describe('maskSecrets redacts query values of parameters named like a credential', () => {
  it.each([
    ['api_key', '/metrics?api_key=abc123', '/metrics?api_key=***'],
    ['apiKey among others', '/x?a=1&apiKey=s3cr3t&b=2', '/x?a=1&apiKey=***&b=2'],
    ['token', '/x?token=eyJhbGciOi.x.y', '/x?token=***'],
    ['access_token, URL-encoded', '/x?access_token=a%2Fb%3D', '/x?access_token=***'],
    ['secret', '/x?client_secret=hunter2', '/x?client_secret=***'],
    ['password', '/x?Password=hunter2#top', '/x?Password=***#top'],
    ['auth', '/x?auth=Basic%20abc', '/x?auth=***'],
    [
      'signature',
      '/x?X-Amz-Signature=deadbeef&X-Amz-Date=1',
      '/x?X-Amz-Signature=***&X-Amz-Date=1',
    ],
    ['an empty value', '/x?token=&a=1', '/x?token=***&a=1'],
    ['inside a JSON line', '{"url":"/x?key=v1\\"q","n":1}', '{"url":"/x?key=***\\"q","n":1}'],
    ['other parameters are kept', '/x?limit=5&cursor=abc', '/x?limit=5&cursor=abc'],
    ['a key-like name outside a query is kept', 'monkey=1 token=2', 'monkey=1 token=2'],
  ])('%s', (_case, input, expected) => {
    expect(maskSecrets(input)).toBe(expected);
  });
});
