// The simulator's scripted numbers (README, "The simulated provider"): their outcome depends on how
// many calls the simulator has seen for the message, not on Salvo's attempt counter.
import type { SimulatorCode } from './simulator-codes';

export type ScriptedOutcome =
  | { kind: 'accept' }
  | { kind: 'reject'; code: SimulatorCode; message: string; retryAfterMs?: number }
  | { kind: 'hang' };

const reject = (code: SimulatorCode, message: string, retryAfterMs?: number): ScriptedOutcome => ({
  kind: 'reject',
  code,
  message,
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});

const SCRIPTS: Readonly<Record<string, (call: number) => ScriptedOutcome>> = {
  '+12025550190': () => reject('SIM_INVALID_NUMBER', 'The number cannot receive SMS.'),
  '+12025550191': () => reject('SIM_OPTED_OUT', 'The recipient opted out.'),
  '+12025550192': (call) =>
    call <= 2 ? reject('SIM_PROVIDER_ERROR', 'Temporary provider error.') : { kind: 'accept' },
  '+12025550193': (call) =>
    call === 1 ? reject('SIM_RATE_LIMITED', 'Too many requests.', 1000) : { kind: 'accept' },
  '+12025550194': (call) => (call === 1 ? { kind: 'hang' } : { kind: 'accept' }),
  '+12025550195': () => reject('SIM_PROVIDER_ERROR', 'Temporary provider error.'),
  '+12025550196': () => reject('SIM_CONTENT_REJECTED', 'The carrier filtered the content.'),
  '+12025550197': () => reject('SIM_AUTH', 'The credentials were rejected.'),
};

/** What the simulator's delivery receipt for an accepted message says. */
export type ScriptedReceipt =
  | { kind: 'delivered' }
  | { kind: 'undelivered'; code: SimulatorCode; message: string }
  | { kind: 'none' };

const RECEIPTS: Readonly<Record<string, ScriptedReceipt>> = {
  '+12025550188': {
    kind: 'undelivered',
    code: 'SIM_UNREACHABLE',
    message: 'The handset could not be reached.',
  },
  '+12025550189': { kind: 'none' },
};

/** The receipt for an accepted message to `phoneNumber`: delivered unless scripted otherwise. */
export function scriptedReceipt(phoneNumber: string): ScriptedReceipt {
  return RECEIPTS[phoneNumber] ?? { kind: 'delivered' };
}

export function isScripted(phoneNumber: string): boolean {
  return phoneNumber in SCRIPTS;
}

/** The outcome of the `call`-th call (1-based) for a message to `phoneNumber`. */
export function scriptedOutcome(phoneNumber: string, call: number): ScriptedOutcome {
  return SCRIPTS[phoneNumber]?.(call) ?? { kind: 'accept' };
}
