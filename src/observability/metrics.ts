import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus series the app exposes on `/metrics`, in one registry.
 * One instance per app (tests create their own, so series never leak between tests).
 */
export interface Metrics {
  registry: Registry;
  webhookDeliveries: Counter<'event' | 'outcome'>;
  webhookHandling: Histogram<'event'>;
  jobsQueued: Gauge<'kind'>;
  jobsRunning: Gauge<'kind'>;
  jobDuration: Histogram<'kind' | 'outcome'>;
  plans: Counter<'outcome'>;
  planDuration: Histogram<'outcome'>;
  planRisk: Counter<'level'>;
  applies: Counter<'outcome'>;
  applyDuration: Histogram<'outcome'>;
  rollbacks: Counter<'outcome' | 'trigger'>;
  rollbackDuration: Histogram<'outcome'>;
  approvalEvaluations: Counter<'outcome'>;
  githubRequests: Counter<'method' | 'status'>;
  githubRateLimitRemaining: Gauge<'resource'>;
  lockWaits: Counter<'outcome'>;
  commands: Counter<'command' | 'outcome'>;
  /**
   * Where `infra_review_jobs_queued` comes from: read on every scrape (queued jobs live in the store and any
   * replica may add some, so a counter kept in this process would be wrong). Unset: the gauge stays empty.
   */
  setJobsQueuedSource(source: JobCountSource | undefined): void;
}

/** Jobs per kind, e.g. `() => queue.counts().then((c) => c.queued)`. */
export type JobCountSource = () => Promise<Record<string, number>>;

const DURATION_BUCKETS = [0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'infra_review_' });
  const registers = [registry];
  let jobsQueuedSource: JobCountSource | undefined;
  const queuedKinds = new Set<string>();
  return {
    registry,
    webhookDeliveries: new Counter({
      name: 'infra_review_webhook_deliveries_total',
      help: "Webhook deliveries received, by event and outcome (queued, ignored, duplicate, failed; other_app: another app's check run).",
      labelNames: ['event', 'outcome'],
      registers,
    }),
    webhookHandling: new Histogram({
      name: 'infra_review_webhook_handling_seconds',
      help: "Time infra-review's handler took for a delivery, by event (waiting for the store and enqueueing included; Probot's signature check and the HTTP transfer not).",
      labelNames: ['event'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    jobsQueued: new Gauge({
      name: 'infra_review_jobs_queued',
      help: 'Jobs waiting for a worker (all replicas), by kind; read from the store at each scrape.',
      labelNames: ['kind'],
      registers,
      async collect() {
        if (!jobsQueuedSource) return;
        let counts: Record<string, number>;
        try {
          counts = await jobsQueuedSource();
        } catch {
          // The store is down: /readyz says so; keep the last known values rather than fail the whole scrape.
          return;
        }
        // A kind no longer queued must read 0, not its last value.
        for (const kind of queuedKinds) if (!(kind in counts)) this.set({ kind }, 0);
        for (const [kind, count] of Object.entries(counts)) {
          queuedKinds.add(kind);
          this.set({ kind }, count);
        }
      },
    }),
    jobsRunning: new Gauge({ name: 'infra_review_jobs_running', help: 'Jobs running in this process, by kind.', labelNames: ['kind'], registers }),
    jobDuration: new Histogram({
      name: 'infra_review_job_duration_seconds',
      help: 'Job run time, by kind and outcome.',
      labelNames: ['kind', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    plans: new Counter({ name: 'infra_review_plans_total', help: 'Project plans, by outcome.', labelNames: ['outcome'], registers }),
    planDuration: new Histogram({
      name: 'infra_review_plan_duration_seconds',
      help: 'Project plan time, by outcome.',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    planRisk: new Counter({ name: 'infra_review_plan_risk_total', help: 'Plans by their risk level.', labelNames: ['level'], registers }),
    applies: new Counter({ name: 'infra_review_applies_total', help: 'Applies, by outcome.', labelNames: ['outcome'], registers }),
    applyDuration: new Histogram({
      name: 'infra_review_apply_duration_seconds',
      help: 'Apply time, by outcome.',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    rollbacks: new Counter({
      name: 'infra_review_rollbacks_total',
      help: 'Rollbacks, by outcome and trigger (command, apply_failure). A failed rollback needs a human: alert on it.',
      labelNames: ['outcome', 'trigger'],
      registers,
    }),
    rollbackDuration: new Histogram({
      name: 'infra_review_rollback_duration_seconds',
      help: 'Rollback time, by outcome.',
      labelNames: ['outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    approvalEvaluations: new Counter({
      name: 'infra_review_approval_evaluations_total',
      help: 'Approval policy evaluations, by outcome (satisfied, pending, blocked, invalid_policy).',
      labelNames: ['outcome'],
      registers,
    }),
    githubRequests: new Counter({
      name: 'infra_review_github_requests_total',
      help: 'GitHub API requests, by method and status.',
      labelNames: ['method', 'status'],
      registers,
    }),
    githubRateLimitRemaining: new Gauge({
      name: 'infra_review_github_rate_limit_remaining',
      help: 'Remaining GitHub API rate limit as last reported by the API, by resource.',
      labelNames: ['resource'],
      registers,
    }),
    lockWaits: new Counter({
      name: 'infra_review_lock_attempts_total',
      help: 'Project lock attempts, by outcome (acquired, refused).',
      labelNames: ['outcome'],
      registers,
    }),
    commands: new Counter({
      name: 'infra_review_commands_total',
      help: 'Slash commands, by command and outcome (accepted, refused, failed, succeeded).',
      labelNames: ['command', 'outcome'],
      registers,
    }),
    setJobsQueuedSource(source) {
      jobsQueuedSource = source;
    },
  };
}
