// A pass that runs again every interval after the previous one settled, for the workers' sweeps.
import type { Logger } from '@nestjs/common';
import { isUnavailable } from '../errors/unavailable';

/**
 * Runs `pass` `firstDelayMs` after `start`, then `intervalMs` after each pass settles (never two at
 * once). A pass that throws is logged and the next one still comes: as a one-line warning when
 * PostgreSQL or Redis is out of reach (every pass says so until it is back), else as an error with
 * its stack. `stop` cancels the next pass and waits for the one running.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly what: string,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(firstDelayMs = this.intervalMs): void {
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .then(() => undefined)
        .catch((error: Error) => this.failed(error))
        .finally(() => {
          if (this.timer) this.start();
        });
    }, firstDelayMs);
  }

  private failed(error: Error): void {
    if (isUnavailable(error)) {
      this.logger.warn(`${this.what} waits for PostgreSQL or Redis: ${error.message}`);
    } else {
      this.logger.error(`${this.what} failed: ${error.message}`, error.stack);
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
