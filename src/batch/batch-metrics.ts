// Progress metrics derived from a batch's counters (DESIGN.md, BatchStatus).

export interface Counters {
  completed: number;
  failed: number;
}

export function successRate({ completed, failed }: Counters): number {
  const final = completed + failed;
  return final === 0 ? 0 : completed / final;
}
