// The error-rate guard: a batch whose recent attempts mostly fail pauses itself, so a person can
// look before the rest of it goes the same way. Pure code; the window is kept on the batch row.

export interface ErrorRateSettings {
  /** How many of the batch's last attempts count. */
  window: number;
  /** Attempts the window must hold before the guard may pause. */
  minSample: number;
  /** The share of failed attempts that pauses; 1 disables the guard. */
  pauseThreshold: number;
}

/** A batch's last attempts, oldest first: '1' failed, '0' accepted (rate-limit answers excluded). */
export type OutcomeWindow = string;

export const FAILED = '1';
export const ACCEPTED = '0';

/** Why the batch should pause now, or null when it should go on. */
export function errorRatePauseReason(
  outcomes: OutcomeWindow,
  { window, minSample, pauseThreshold }: ErrorRateSettings,
): string | null {
  if (pauseThreshold >= 1) return null;
  const recent = outcomes.slice(-window);
  if (recent.length < minSample) return null;
  const failed = [...recent].filter((outcome) => outcome === FAILED).length;
  // A share, not failed < threshold × length: 0.55 × 100 is 55.00000000000001 in floating point.
  if (failed / recent.length < pauseThreshold) return null;
  return (
    `Paused by the error-rate guard: ${failed} of the last ${recent.length} attempts failed ` +
    `(threshold ${Math.round(pauseThreshold * 100)}%). Look at GET /api/batch/{id}/errors, then ` +
    `resume it or cancel it.`
  );
}
