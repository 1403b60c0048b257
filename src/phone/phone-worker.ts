// Worker thread body: parses slices of phone numbers so a large batch uses every core.
import { parentPort } from 'node:worker_threads';
import type { CountryCode } from 'libphonenumber-js/max';
import { normalizePhoneNumbers, type PhoneParseResult } from './phone-number';

export interface PhoneWorkRequest {
  id: number;
  numbers: string[];
  defaultCountry?: CountryCode;
  /** Whether to give each number its time zones too. */
  zones?: boolean;
}

export interface PhoneWorkResponse {
  id: number;
  results: PhoneParseResult[];
}

parentPort?.on('message', ({ id, numbers, defaultCountry, zones }: PhoneWorkRequest) => {
  const response: PhoneWorkResponse = {
    id,
    results: normalizePhoneNumbers(numbers, defaultCountry, zones),
  };
  parentPort?.postMessage(response);
});
