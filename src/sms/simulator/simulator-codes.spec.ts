import { SIMULATOR_CODES } from './simulator-codes';

describe('SIMULATOR_CODES', () => {
  it.each([
    ['SIM_INVALID_NUMBER', 'invalid_number'],
    ['SIM_OPTED_OUT', 'opted_out'],
    ['SIM_CONTENT_REJECTED', 'content_rejected'],
    ['SIM_RATE_LIMITED', 'rate_limited'],
    ['SIM_PROVIDER_ERROR', 'provider_error'],
    ['SIM_AUTH', 'auth'],
    ['SIM_UNREACHABLE', 'unreachable'],
  ] as const)('%s is %s', (code, category) => {
    expect(SIMULATOR_CODES[code]).toBe(category);
  });
});
