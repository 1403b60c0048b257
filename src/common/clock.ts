// The clock as a port: code whose decisions depend on the time of day (send windows) asks it, so
// tests can move time instead of waiting for it.
import { Injectable } from '@nestjs/common';

export abstract class Clock {
  /** Now, in Unix milliseconds. */
  abstract now(): number;
}

@Injectable()
export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }
}

/** A clock tests set by hand. */
export class ManualClock extends Clock {
  constructor(private ms: number) {
    super();
  }

  now(): number {
    return this.ms;
  }

  set(ms: number): void {
    this.ms = ms;
  }
}
