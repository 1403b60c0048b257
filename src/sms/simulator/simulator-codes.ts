// The simulator's rejection and receipt codes and Salvo's category for each (README, "The simulated
// provider").
import type { ErrorCategory } from '../../errors/error-taxonomy';

export const SIMULATOR_CODES = {
  SIM_INVALID_NUMBER: 'invalid_number',
  SIM_OPTED_OUT: 'opted_out',
  SIM_CONTENT_REJECTED: 'content_rejected',
  SIM_RATE_LIMITED: 'rate_limited',
  SIM_PROVIDER_ERROR: 'provider_error',
  SIM_AUTH: 'auth',
  /** A receipt's code: accepted, then the handset could not be reached. */
  SIM_UNREACHABLE: 'unreachable',
} as const satisfies Readonly<Record<string, ErrorCategory>>;

export type SimulatorCode = keyof typeof SIMULATOR_CODES;
