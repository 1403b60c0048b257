// Worker thread body: parses slices of phone numbers so a large batch uses every core.
import { parentPort } from 'node:worker_threads';
import type { CountryCode } from 'libphonenumber-js/max';
import { normalizePhoneNumbers } from './phone-number';

export interface PhoneWorkRequest {
  id: number;
  numbers: string[];
  defaultCountry?: CountryCode;
}

parentPort?.on('message', ({ id, numbers, defaultCountry }: PhoneWorkRequest) => {
  parentPort?.postMessage({ id, results: normalizePhoneNumbers(numbers, defaultCountry) });
});
