// One API process and several worker processes of the built service, as a deployment runs them,
// with the faults the suite deals them (SIGKILL, SIGSTOP/SIGCONT, an API restart on its own port),
// and the record of which of them exited without being told to.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApp, type RunningApp } from '../../support/app-process';

export interface FleetOptions {
  /** Every process: database, Redis, provider, rates. */
  env: Record<string, string>;
  /** The API's fixed port: a restarted API answers on the same URL (and PUBLIC_BASE_URL). */
  apiPort: number;
  workers: number;
  /** Overrides for workers only (their DATABASE_URL through the TCP proxy). */
  workerEnv?: Record<string, string>;
}

export interface UnexpectedExit {
  role: string;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  tail: string;
}

export class Fleet {
  api!: RunningApp;
  workers: RunningApp[] = [];
  private readonly started: { role: string; app: RunningApp }[] = [];
  /** Processes the scenario killed or stopped on purpose: their exit is no finding. */
  private readonly dismissed = new Set<RunningApp>();

  private constructor(private readonly options: FleetOptions) {}

  static async start(options: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(options);
    try {
      // The API first: it creates the database and migrates; workers would wait on its lock anyway.
      await fleet.startApi();
      for (let i = 0; i < options.workers; i++) await fleet.startWorker();
    } catch (error) {
      await fleet.stop(); // what did start
      throw error;
    }
    return fleet;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.options.apiPort}`;
  }

  async startApi(): Promise<RunningApp> {
    const env = { ...this.options.env, APP_ROLE: 'api', PORT: String(this.options.apiPort) };
    this.api = this.track('api', await startApp(env));
    return this.api;
  }

  async startWorker(): Promise<RunningApp> {
    const env = { ...this.options.env, ...this.options.workerEnv, APP_ROLE: 'worker' };
    const worker = this.track('worker', await startApp(env));
    this.workers.push(worker);
    return worker;
  }

  /** SIGKILLs the worker and waits for its exit; it leaves the fleet. */
  async killWorker(worker: RunningApp): Promise<void> {
    this.dismissed.add(worker);
    worker.process.kill('SIGKILL');
    await worker.stop();
    this.workers = this.workers.filter((w) => w !== worker);
  }

  async killApi(): Promise<void> {
    this.dismissed.add(this.api);
    this.api.process.kill('SIGKILL');
    await this.api.stop();
  }

  /** Processes that exited without the scenario killing or stopping them. */
  unexpectedExits(): UnexpectedExit[] {
    return this.started
      .filter(({ app }) => !this.dismissed.has(app))
      .filter(({ app }) => app.process.exitCode !== null || app.process.signalCode !== null)
      .map(({ role, app }) => ({
        role,
        pid: app.process.pid,
        code: app.process.exitCode,
        signal: app.process.signalCode,
        tail: app.output().slice(-2_000),
      }));
  }

  /** Writes every process's output (those gone too) to `dir`, one file each; answers the files. */
  saveOutputs(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    return this.started.map(({ role, app }, i) => {
      const file = join(dir, `${i}-${role}-${app.process.pid}.log`);
      writeFileSync(file, app.output());
      return file;
    });
  }

  /**
   * SIGTERM to whatever still runs (a frozen one is thawed first, or it could not drain); answers
   * the processes that did not exit within app-process.ts's grace and were SIGKILLed.
   */
  async stop(): Promise<string[]> {
    const running = this.started.filter(({ app }) => !this.dismissed.has(app));
    for (const { app } of running) this.dismissed.add(app);
    const hung = await Promise.all(
      running.map(async ({ role, app }) => {
        app.process.kill('SIGCONT');
        return (await app.stop()) === 'killed' ? `${role} ${app.process.pid}` : null;
      }),
    );
    return hung.filter((name): name is string => name !== null);
  }

  private track(role: string, app: RunningApp): RunningApp {
    this.started.push({ role, app });
    return app;
  }
}
