// A dependency read while Prometheus scrapes (Redis for queue depths, PostgreSQL for batch counts):
// bounded in time, and never failing the scrape. While it cannot be read its metric is left out,
// with one warning per outage rather than one per scrape.
import { withTimeout } from '../../common/with-timeout';

export interface OutageLog {
  warn(message: string): void;
  log(message: string): void;
}

export class ScrapeSource<T> {
  private down = false;

  constructor(
    /** What is read, for the log: "queue depths (Redis)". */
    private readonly what: string,
    private readonly read: () => Promise<T>,
    private readonly timeoutMs: number,
    private readonly logger: OutageLog,
  ) {}

  /** The value, or undefined when the read failed or took longer than the timeout. */
  async tryRead(): Promise<T | undefined> {
    try {
      const value = await withTimeout(this.read(), this.timeoutMs);
      if (this.down) {
        this.down = false;
        this.logger.log(`Metrics: ${this.what} readable again.`);
      }
      return value;
    } catch (error) {
      if (!this.down) {
        this.down = true;
        this.logger.warn(
          `Metrics: cannot read ${this.what} (${(error as Error).message}); ` +
            'its metric is left out of scrapes until it can.',
        );
      }
      return undefined;
    }
  }
}
