import { scriptedOutcome, scriptedReceipt } from './simulator-script';

describe('the simulator script', () => {
  it.each([
    ['+12025550188', { kind: 'undelivered', code: 'SIM_UNREACHABLE', message: expect.any(String) }],
    ['+12025550189', { kind: 'none' }],
    ['+12025550123', { kind: 'delivered' }],
    // Scripted for sending, delivered once accepted.
    ['+12025550192', { kind: 'delivered' }],
  ])('the receipt of a message to %s: %j', (phoneNumber, expected) => {
    expect(scriptedReceipt(phoneNumber)).toEqual(expected);
  });

  it.each(['+12025550188', '+12025550189'])('accepts a message to %s on the first call', (to) => {
    expect(scriptedOutcome(to, 1)).toEqual({ kind: 'accept' });
  });
});
