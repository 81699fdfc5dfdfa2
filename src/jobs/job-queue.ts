import { newOwnerId } from '../store/owner-id.js';
import type { Job, JobFinalStatus, NewJob, Store } from '../store/store.js';

/**
 * A job handler. It must obey `signal`: when the job is superseded (a newer push), lost (another replica
 * declared it abandoned) or the queue shuts down, the signal aborts with a `JobStoppedError` as its reason;
 * stop work (kill the IaC process) and return or throw promptly. What it returns is stored as the result.
 */
export type JobHandler = (job: Job, signal: AbortSignal) => Promise<unknown>;

/**
 * Why jobs were marked interrupted. `shutdown`: this queue's `stop()` stopped them after the grace period.
 * `abandoned`: their worker stopped heartbeating (at start-up or in a later sweep); the store cannot tell a
 * crash, a restart and a worker still running but cut off from the database apart.
 */
export type InterruptedCause = 'shutdown' | 'abandoned';

export type InterruptedHook = (jobs: Job[], cause: InterruptedCause) => void | Promise<void>;

/** Told when a job starts and ends in this process (metrics, logs). Must not throw; errors are logged. */
export interface JobObserver {
  started?(job: Job): void;
  /** `lost`: another replica took the job over (declared it abandoned); its final status is not ours to write. */
  finished?(job: Job, status: JobFinalStatus | 'lost', durationMs: number): void;
}

/** A pino-compatible logger subset (Probot's `app.log` fits). */
export interface JobQueueLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface JobQueueOptions {
  /** Jobs this process runs at once (default 2). */
  concurrency?: number;
  /** How often an idle worker looks for queued jobs, e.g. ones another replica enqueued (default 500 ms). */
  pollIntervalMs?: number;
  /** How often running jobs heartbeat and learn about cancellation (default 2 s). */
  heartbeatMs?: number;
  /** A running job whose heartbeat is older than this is abandoned and marked interrupted (default 60 s). */
  leaseMs?: number;
  /** Worker identity; default `<host>:<pid>:<random>`. */
  owner?: string;
  /** How long `stop()` waits for running jobs before aborting them (default 30 s). */
  shutdownGraceMs?: number;
  onInterrupted?: InterruptedHook;
  observer?: JobObserver;
  logger?: JobQueueLogger;
}

export type StopReason = 'superseded' | 'lost' | 'shutdown';

/** The abort reason handlers receive. */
export class JobStoppedError extends Error {
  constructor(
    readonly reason: StopReason,
    detail: string,
  ) {
    super(detail);
    this.name = 'JobStoppedError';
  }
}

interface RunningJob {
  job: Job;
  controller: AbortController;
  stopped?: JobStoppedError;
  done: Promise<void>;
}

const stderrLogger: JobQueueLogger = {
  info: () => undefined,
  warn: (obj, msg) => process.stderr.write(`infra-review jobs: ${msg} ${JSON.stringify(obj)}\n`),
  error: (obj, msg) => process.stderr.write(`infra-review jobs: ${msg} ${JSON.stringify(obj)}\n`),
};

/**
 * The job queue over the store's job table. `enqueue` only writes a row and returns; workers in every
 * replica claim rows atomically (exactly one wins), run the registered handler with a concurrency limit,
 * heartbeat while running, and stop a job when it is superseded. Jobs found running for a dead owner
 * become 'interrupted', are handed to `onInterrupted` hooks, and are never re-run automatically.
 *
 * ```ts
 * const queue = new JobQueue(store, { concurrency: 2, onInterrupted: (jobs) => reportInterrupted(jobs) });
 * queue.register('plan', async (job, signal) => runPlan(job.payload, signal));
 * await queue.start();
 * await queue.enqueue({ kind: 'plan', repo, pr, headSha, payload });
 * ```
 */
export class JobQueue {
  readonly owner: string;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly heartbeatMs: number;
  private readonly leaseMs: number;
  private readonly shutdownGraceMs: number;
  private readonly logger: JobQueueLogger;
  private readonly observer: JobObserver;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly hooks: InterruptedHook[] = [];
  private readonly running = new Map<number, RunningJob>();
  private started = false;
  private pumping = false;
  private pumpAgain = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly store: Store,
    options: JobQueueOptions = {},
  ) {
    this.owner = options.owner ?? newOwnerId();
    this.concurrency = positiveInteger('concurrency', options.concurrency ?? 2);
    this.pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? 500);
    this.heartbeatMs = positiveInteger('heartbeatMs', options.heartbeatMs ?? 2_000);
    this.leaseMs = positiveInteger('leaseMs', options.leaseMs ?? 60_000);
    this.shutdownGraceMs = Math.max(0, options.shutdownGraceMs ?? 30_000);
    // A lease shorter than two heartbeats would declare healthy jobs abandoned.
    if (this.leaseMs < 2 * this.heartbeatMs) throw new RangeError(`leaseMs (${this.leaseMs}) must be at least twice heartbeatMs (${this.heartbeatMs})`);
    this.logger = options.logger ?? stderrLogger;
    this.observer = options.observer ?? {};
    if (options.onInterrupted) this.hooks.push(options.onInterrupted);
  }

  /** Register the handler of a job kind ('plan', 'apply', 'rollback', ...). Only registered kinds are claimed. */
  register(kind: string, handler: JobHandler): this {
    if (this.handlers.has(kind)) throw new Error(`a handler for job kind '${kind}' is already registered`);
    this.handlers.set(kind, handler);
    if (this.started) this.wake();
    return this;
  }

  /** Add a hook called with the jobs this queue marked interrupted. Returns a function that removes it. */
  onInterrupted(hook: InterruptedHook): () => void {
    this.hooks.push(hook);
    return () => {
      const index = this.hooks.indexOf(hook);
      if (index >= 0) this.hooks.splice(index, 1);
    };
  }

  /**
   * Queue a job and return at once. A job with the same key (repo, PR, head SHA, command) already queued
   * or running is returned instead (`created: false`). A 'plan' job supersedes the PR's plan jobs for
   * other head SHAs first.
   */
  async enqueue(input: NewJob): Promise<{ job: Job; created: boolean }> {
    if (input.kind === 'plan') {
      const { job, created, cancelRequested } = await this.store.enqueuePlanJob(input);
      this.stopSuperseded(cancelRequested, input.headSha);
      if (created) this.wake();
      return { job, created };
    }
    const result = await this.store.enqueueJob(input);
    if (result.created) this.wake();
    return result;
  }

  /**
   * Enqueue `input` only if `onceKey` was never claimed (a redelivered webhook, a repeated comment): the
   * claim and the job are written together. Undefined when the key was already claimed.
   */
  async enqueueOnce(onceKey: string, input: NewJob): Promise<{ job: Job; created: boolean } | undefined> {
    if (input.kind === 'plan') await this.supersedePlans({ repo: input.repo, pr: input.pr, headSha: input.headSha });
    const result = await this.store.enqueueJobOnce(onceKey, input);
    if (result?.created) this.wake();
    return result;
  }

  /**
   * Supersede the PR's plan jobs for head SHAs other than `headSha`: queued ones at once, running ones by
   * aborting their signal (here at once; in other replicas on their next heartbeat).
   */
  async supersedePlans(input: { repo: string; pr: number; headSha: string }): Promise<{ superseded: Job[]; cancelRequested: Job[] }> {
    const result = await this.store.supersedePlanJobs(input);
    this.stopSuperseded(result.cancelRequested, input.headSha);
    return result;
  }

  /** Abort the jobs among `jobs` that run here (other replicas see the request on their next heartbeat). */
  private stopSuperseded(jobs: Job[], headSha: string): void {
    for (const job of jobs) {
      const local = this.running.get(job.id);
      if (local) this.stopLocal(local, new JobStoppedError('superseded', job.cancelReason ?? `superseded by ${headSha}`));
    }
  }

  /**
   * Mark running jobs of dead or silent owners 'interrupted', call the hooks with them and return them.
   * `start()` runs it once and then every half lease.
   */
  async recoverInterrupted(): Promise<Job[]> {
    const jobs = await this.store.recoverInterruptedJobs({ leaseMs: this.leaseMs, exceptOwner: this.owner });
    if (jobs.length > 0) {
      this.logger.warn({ jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, repo: j.repo, pr: j.pr })) }, 'jobs interrupted by a stopped worker');
      await this.callHooks(jobs, 'abandoned');
    }
    return jobs;
  }

  /** Recover interrupted jobs, then start claiming, heartbeating and sweeping. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.recoverInterrupted();
    this.every(this.pollIntervalMs, () => this.wake());
    this.every(this.heartbeatMs, () => this.heartbeat());
    this.every(Math.max(this.pollIntervalMs, Math.floor(this.leaseMs / 2)), () =>
      this.recoverInterrupted().then(
        () => undefined,
        (error: unknown) => this.logger.error({ err: errorText(error) }, 'recovering interrupted jobs failed'),
      ),
    );
    this.wake();
  }

  /**
   * Stop claiming; wait up to the grace period for running jobs, then abort them: they are marked
   * interrupted and reported, like after a crash.
   */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.shutdownGraceMs);
    });
    const outcome = await Promise.race([all().then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      for (const entry of this.running.values()) this.stopLocal(entry, new JobStoppedError('shutdown', 'infra-review is shutting down'));
      await all();
    }
  }

  /** Jobs this queue is running now. */
  get runningJobs(): Job[] {
    return [...this.running.values()].map((r) => r.job);
  }

  /** Whether `start()` ran and `stop()` did not (for /readyz). */
  get isStarted(): boolean {
    return this.started;
  }

  /** Queued jobs in the store (all replicas) and jobs running in this process, per kind (for metrics). */
  async counts(): Promise<{ queued: Record<string, number>; running: Record<string, number> }> {
    const running: Record<string, number> = {};
    for (const { job } of this.running.values()) running[job.kind] = (running[job.kind] ?? 0) + 1;
    return { queued: await this.store.countJobs('queued'), running };
  }

  /** Look for work now (enqueue does this; also useful after registering handlers). */
  wake(): void {
    if (!this.started) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (this.started && this.running.size < this.concurrency) {
          const job = await this.store.claimJob(this.owner, [...this.handlers.keys()]);
          if (!job) break;
          this.run(job);
        }
      } while (this.pumpAgain && this.started);
    } catch (error) {
      this.logger.error({ err: errorText(error) }, 'claiming jobs failed; retrying on the next poll');
    } finally {
      this.pumping = false;
    }
  }

  private run(job: Job): void {
    const controller = new AbortController();
    const entry = { job, controller } as RunningJob;
    entry.done = this.execute(entry).finally(() => {
      this.running.delete(job.id);
      this.wake();
    });
    this.running.set(job.id, entry);
  }

  private async execute(entry: RunningJob): Promise<void> {
    const { job } = entry;
    const handler = this.handlers.get(job.kind);
    const startedAt = Date.now();
    this.observe(() => this.observer.started?.(job));
    let status: JobFinalStatus = 'succeeded';
    let error: string | null = null;
    let result: unknown;
    try {
      if (!handler) throw new Error(`no handler registered for job kind '${job.kind}'`);
      result = await handler(job, entry.controller.signal);
    } catch (thrown) {
      status = 'failed';
      error = errorText(thrown);
    }
    if (entry.stopped) {
      if (entry.stopped.reason === 'lost') {
        // someone else already wrote its final status
        this.observe(() => this.observer.finished?.(job, 'lost', Date.now() - startedAt));
        return;
      }
      status = entry.stopped.reason === 'superseded' ? 'superseded' : 'interrupted';
      error = entry.stopped.message;
    }
    this.observe(() => this.observer.finished?.(job, status, Date.now() - startedAt));
    try {
      const finished = await this.store.finishJob(job.id, this.owner, { status, error, result });
      // Only a shutdown stop ends a job here as 'interrupted' (superseded and lost ones are not).
      if (finished?.status === 'interrupted') await this.callHooks([finished], 'shutdown');
      if (status === 'failed') this.logger.warn({ job: job.id, kind: job.kind, repo: job.repo, pr: job.pr, error }, 'job failed');
    } catch (thrown) {
      // The lease will expire and another worker will report it as interrupted.
      this.logger.error({ job: job.id, err: errorText(thrown) }, 'recording the end of a job failed');
    }
  }

  private async heartbeat(): Promise<void> {
    const ids = [...this.running.keys()];
    if (ids.length === 0) return;
    try {
      for (const beat of await this.store.heartbeatJobs(this.owner, ids)) {
        const entry = this.running.get(beat.id);
        if (!entry || !beat.stop) continue;
        this.stopLocal(entry, new JobStoppedError(beat.stop.reason === 'cancel-requested' ? 'superseded' : 'lost', beat.stop.detail));
      }
    } catch (error) {
      this.logger.error({ err: errorText(error) }, 'job heartbeat failed');
    }
  }

  private stopLocal(entry: RunningJob, reason: JobStoppedError): void {
    if (entry.stopped) return;
    entry.stopped = reason;
    entry.controller.abort(reason);
  }

  private observe(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.logger.error({ err: errorText(error) }, 'job observer failed');
    }
  }

  private async callHooks(jobs: Job[], cause: InterruptedCause): Promise<void> {
    for (const hook of [...this.hooks]) {
      try {
        await hook(jobs, cause);
      } catch (error) {
        this.logger.error({ err: errorText(error), jobs: jobs.map((j) => j.id) }, 'onInterrupted hook failed');
      }
    }
  }

  private every(ms: number, task: () => unknown): void {
    const timer = setInterval(() => void task(), ms);
    timer.unref();
    this.timers.push(timer);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
