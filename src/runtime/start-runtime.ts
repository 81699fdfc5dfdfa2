import type { Probot } from 'probot';
import type { Logger } from 'pino';
import { openStore, storeOptionsFromEnv } from '../store/open-store.js';
import type { Job, Store } from '../store/store.js';
import { JobQueue } from '../jobs/job-queue.js';
import type { Metrics } from '../observability/metrics.js';
import { instrumentOctokit } from '../observability/instrument-octokit.js';
import type { RuntimeSettings } from './read-settings.js';
import type { JobServices } from '../jobs/job-context.js';
import type { AppIdentity, GitHubClient } from '../github/repo-ref.js';
import { getAppIdentity } from '../github/get-app-identity.js';
import { registerJobHandlers } from '../jobs/register-job-handlers.js';
import { reportInterruptedJobs } from '../jobs/report-interrupted-jobs.js';

/**
 * The process's durable side: the store and the job workers. The store may be unreachable at start
 * (PostgreSQL still booting): the runtime keeps trying, `/readyz` says why it is not ready, and
 * webhooks fail with 503-like errors until it is, so GitHub shows them as failed deliveries to redeliver.
 */
export class Runtime {
  private storeInstance: Store | undefined;
  private queueInstance: JobQueue | undefined;
  private lastError: Error | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private identity: Promise<AppIdentity> | undefined;
  private readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    private readonly probot: Probot,
    readonly settings: RuntimeSettings,
    readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly retryMs = 5_000,
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  /** Starts connecting; resolves at once (the connection continues in the background on failure). */
  start(): void {
    void this.connect();
  }

  /** The store, or an error that says why it is not available yet. */
  get store(): Store {
    if (!this.storeInstance) throw new StoreUnavailableError(this.lastError);
    return this.storeInstance;
  }

  get queue(): JobQueue {
    if (!this.queueInstance) throw new StoreUnavailableError(this.lastError);
    return this.queueInstance;
  }

  /**
   * The queue for a webhook handler: at once when the store is open; while it is still opening (the first
   * moments after a start, when GitHub may already be delivering), after waiting up to `waitMs` for it.
   * Still not open then: `StoreUnavailableError`, so the delivery fails (GitHub shows it, to redeliver)
   * well within GitHub's 10-second webhook timeout, instead of being accepted and lost.
   */
  async queueForDelivery(waitMs = DELIVERY_WAIT_FOR_STORE_MS): Promise<JobQueue> {
    if (this.queueInstance) return this.queueInstance;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ready, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
    return this.queue;
  }

  /** Resolves once the store is open and the workers run (tests and the CLI wait on it). */
  whenReady(): Promise<void> {
    return this.ready;
  }

  readinessProbes() {
    return [
      {
        name: 'store',
        check: async () => {
          if (!this.storeInstance) throw new Error(this.lastError ? `store not available: ${this.lastError.message}` : 'store not connected yet');
          await this.storeInstance.ping();
          return true;
        },
      },
      { name: 'workers', check: async () => this.queueInstance?.isStarted ?? false },
    ];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.metrics.setJobsQueuedSource(undefined);
    await this.queueInstance?.stop();
    await this.storeInstance?.close();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      const store = await openStore({
        // DATA_DIR, DATABASE_URL and DATABASE_SCHEMA, as the CLI reads them.
        ...storeOptionsFromEnv(this.settings.baseEnv as NodeJS.ProcessEnv),
        dataDir: this.settings.dataDir,
        onError: (error) => this.log.error({ err: error }, 'database pool error'),
      });
      if (this.stopped) {
        await store.close();
        return;
      }
      const queue = new JobQueue(store, {
        concurrency: this.settings.workerConcurrency,
        shutdownGraceMs: this.settings.shutdownGraceMs,
        logger: this.log,
        onInterrupted: (jobs: Job[], cause) => reportInterruptedJobs(this.services(store), jobs, cause),
        observer: {
          started: (job) => this.metrics.jobsRunning.inc({ kind: job.kind }),
          finished: (job, status, durationMs) => {
            this.metrics.jobsRunning.dec({ kind: job.kind });
            this.metrics.jobDuration.observe({ kind: job.kind, outcome: status }, durationMs / 1000);
          },
        },
      });
      registerJobHandlers(queue, this.services(store));
      this.storeInstance = store;
      this.queueInstance = queue;
      this.lastError = undefined;
      this.metrics.setJobsQueuedSource(async () => (await queue.counts()).queued);
      await queue.start();
      this.schedulePruning(store);
      this.log.info({ engine: store.engine, concurrency: this.settings.workerConcurrency }, 'store open, workers started');
      this.markReady();
    } catch (error) {
      this.lastError = error instanceof Error ? error : new Error(String(error));
      this.log.error({ err: this.lastError }, `store unavailable; retrying in ${this.retryMs / 1000} s`);
      this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
      this.retryTimer.unref();
    }
  }

  /** Old plans, plan files and finished jobs (with their once-keys) go after PLAN_RETENTION_DAYS; locks, applies and audit stay. */
  private schedulePruning(store: Store): void {
    const prune = () => {
      store.pruneOlderThan(this.settings.planRetentionDays * 86_400_000).then(
        (result) => this.log.info({ pruned: result }, 'pruned old plans and jobs'),
        (error: unknown) => this.log.error({ err: error }, 'pruning old plans failed'),
      );
    };
    prune();
    this.pruneTimer = setInterval(prune, 3_600_000);
    this.pruneTimer.unref();
  }

  /** What every job gets, as the workers of this process get it (the store must be open). */
  jobServices(): JobServices {
    return this.services(this.store);
  }

  private services(store: Store): JobServices {
    return {
      store,
      metrics: this.metrics,
      settings: this.settings,
      log: this.log,
      octokitFor: async (installationId: number) => instrumentOctokit((await this.probot.auth(installationId)) as GitHubClient, this.metrics),
      appIdentity: () => {
        this.identity ??= (async () => getAppIdentity(instrumentOctokit((await this.probot.auth()) as GitHubClient, this.metrics)))().catch((error: unknown) => {
          this.identity = undefined;
          throw error;
        });
        return this.identity;
      },
    };
  }
}

/** How long a webhook waits for a store that is still opening before it fails (GitHub gives up after 10 s). */
export const DELIVERY_WAIT_FOR_STORE_MS = 5_000;

export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(cause?: Error) {
    super(cause ? `the store is not available: ${cause.message}` : 'the store is not connected yet');
  }
}
