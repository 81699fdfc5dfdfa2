import type { PlanSummary, RiskLevel } from '../plan/analysis.js';

/**
 * The store: durable state of infra-review. One interface, two engines (SQLite by default,
 * PostgreSQL when `DATABASE_URL` is set); both pass the same test suite (test/store).
 *
 * Guarantees every caller can rely on, on both engines and across processes/replicas:
 * - `acquireLock` is atomic: of N concurrent callers for one (repo, project, workspace), exactly one
 *   gets `{ acquired: true }`; the others learn who holds it. Re-acquiring a lock your PR holds succeeds.
 * - `claimJob` hands a queued job to exactly one worker.
 * - `enqueueJob` never duplicates a job whose key is already queued or running.
 * - `enqueueJobOnce(key, job)` enqueues for exactly one caller of a key, ever (until the job is pruned):
 *   the claim and the job are one row (`jobs.once_key`), so no failure can record one without the other.
 * - `getPlanFile` returns the bytes only if their SHA-256 still matches the one recorded at `putPlanFile`.
 *
 * Timestamps are `Date`s (stored as epoch milliseconds). JSON fields round-trip through `JSON.stringify`.
 *
 * Usage:
 * ```ts
 * const store = await openStore({ dataDir: process.env.DATA_DIR, databaseUrl: process.env.DATABASE_URL });
 * const lock = await store.acquireLock({ repo: 'acme/infra', project: 'prod', workspace: 'default', pr: 12, holder: 'alice' });
 * if (!lock.acquired) reply(`locked by #${lock.heldBy.pr} (${lock.heldBy.holder})`);
 * ```
 */
export interface Store {
  /** 'sqlite' or 'postgres': which engine serves this store. */
  readonly engine: StoreEngine;

  // ---- plans ------------------------------------------------------------------------------
  /** Record a plan (usually with status 'planning' when the job starts, then `updatePlan`). */
  recordPlan(input: NewPlan): Promise<PlanRecord>;
  /** Change a plan's status, planfile, analysis summary or risk; returns the updated record. */
  updatePlan(id: number, patch: PlanPatch): Promise<PlanRecord>;
  getPlan(id: number): Promise<PlanRecord | undefined>;
  /** Newest plan of a project on a PR (optionally for one head SHA). */
  latestPlan(query: { repo: string; pr: number; project: string; workspace: string; headSha?: string }): Promise<PlanRecord | undefined>;
  /** Plans of a PR, newest first. */
  listPlans(query: { repo: string; pr: number; headSha?: string }): Promise<PlanRecord[]>;
  /**
   * Atomically move a `planned` plan to `applying` (one statement): of several jobs about to apply the same
   * saved plan (two `/apply` comments at once, or on two replicas), exactly one gets `true`. False for any
   * other status, or an unknown id.
   */
  claimPlanForApply(id: number): Promise<boolean>;

  // ---- plan files ---------------------------------------------------------------------------
  /**
   * Store a binary plan file: under DATA_DIR/plans (mode 0600) on SQLite, in the database (bytea) on
   * PostgreSQL so that any replica can apply it. Returns where it is and its SHA-256 (hex).
   */
  putPlanFile(owner: PlanFileOwner, data: Uint8Array): Promise<PlanFileRef>;
  /** Read a plan file; throws `PlanFileError` ('missing' | 'hash-mismatch' | 'bad-location') unless its SHA-256 matches `ref.sha256`. */
  getPlanFile(ref: Pick<PlanFileRef, 'location' | 'sha256'>): Promise<Buffer>;
  /**
   * Delete plans (records and files) and finished jobs (with their once-keys) older than `ms`, and
   * `processed_keys` rows older than `ms`: nothing writes that table any more (the exactly-once claim
   * is `jobs.once_key`), but releases before schema migration 2 did, and their rows go the same way.
   * Locks, applies and the audit trail are never pruned.
   */
  pruneOlderThan(ms: number): Promise<PruneResult>;

  // ---- locks --------------------------------------------------------------------------------
  acquireLock(input: LockRequest): Promise<LockResult>;
  /** Release one lock; only the holding PR can release it unless `force` (operators, /unlock by an admin). Returns whether a lock was removed. */
  releaseLock(input: { repo: string; project: string; workspace: string; pr?: number; force?: boolean }): Promise<boolean>;
  /** Release every lock a PR holds (PR closed or merged); returns the released locks. */
  releaseLocksForPr(repo: string, pr: number): Promise<LockRecord[]>;
  getLock(key: { repo: string; project: string; workspace: string }): Promise<LockRecord | undefined>;
  listLocks(filter?: { repo?: string; pr?: number }): Promise<LockRecord[]>;

  // ---- applies and rollbacks ----------------------------------------------------------------
  recordApplyStart(input: NewApply): Promise<ApplyRecord>;
  recordApplyFinish(id: number, result: { outcome: Exclude<ApplyOutcome, 'running'>; outputDigest?: string | null }): Promise<ApplyRecord>;
  getApply(id: number): Promise<ApplyRecord | undefined>;
  /**
   * The newest successful apply (kind 'apply' or 'rollback') of a project; with `beforeId`, the newest
   * one older than that apply: the state a rollback returns to.
   */
  lastSuccessfulApply(repo: string, project: string, workspace: string, options?: { beforeId?: number }): Promise<ApplyRecord | undefined>;
  /** Applies and rollbacks, newest first. */
  listApplies(filter: { repo: string; pr?: number; project?: string; workspace?: string }): Promise<ApplyRecord[]>;

  // ---- jobs (the queue in src/jobs/ builds on these) ------------------------------------------
  /** Insert a queued job unless one with the same key is queued or running; then `created` is false and `job` is that one. */
  enqueueJob(input: NewJob): Promise<{ job: Job; created: boolean }>;
  /**
   * `enqueueJob(input)` at most once per `onceKey`, ever (until the job is pruned): undefined, and nothing
   * enqueued, when a job was enqueued with that key before. The claim and the job are one row: a failure
   * leaves neither, so a redelivered webhook still runs.
   */
  enqueueJobOnce(onceKey: string, input: NewJob): Promise<{ job: Job; created: boolean } | undefined>;
  /** Atomically move the oldest queued job of one of `kinds` to 'running' for `owner`. */
  claimJob(owner: string, kinds: readonly string[]): Promise<Job | undefined>;
  /**
   * Refresh the heartbeat of `owner`'s running jobs and report, per job, whether it must stop:
   * a cancellation was requested (superseded) or the job is no longer running for this owner.
   */
  heartbeatJobs(owner: string, ids: readonly number[]): Promise<JobHeartbeat[]>;
  /**
   * Finish a running job of `owner`; a job that is no longer this owner's is left alone (returns undefined).
   * A `result` whose JSON exceeds `MAX_JOB_RESULT_BYTES` (4 MiB) is stored as a `TruncatedJobResult` that
   * records its size (job-result-limit.ts): readers must report it as too large, never as missing.
   */
  finishJob(id: number, owner: string, result: { status: JobFinalStatus; error?: string | null; result?: unknown }): Promise<Job | undefined>;
  getJob(id: number): Promise<Job | undefined>;
  /** Jobs matching every field of `filter`, oldest first. */
  listJobs(filter?: JobFilter): Promise<Job[]>;
  /** `listJobs` without each job's payload and result (a result can be up to 4 MiB): for readers that need neither. */
  listJobSummaries(filter?: JobFilter): Promise<JobSummary[]>;
  /**
   * The succeeded jobs of a PR whose result can hold a plan (`plan` and `command` jobs), oldest first, with
   * only what readers of plan results use (`PlanResultRow`: no payload, no error, no timestamps). With
   * `headSha`, only the jobs of that head, plus the `command` jobs that record no head (''): every command
   * but a `/plan` that started planning (`startPlanCommand`), and `/plan` jobs stored before heads were
   * recorded, whose plan names its head only inside the result. So the results of other heads (up to
   * 4 MiB each) are never read. Without `headSha`, every head.
   */
  listPlanResults(query: { repo: string; pr: number; headSha?: string }): Promise<PlanResultRow[]>;
  /** How many jobs have `status`, per kind (for the queued-jobs gauge). */
  countJobs(status: JobStatus): Promise<Record<string, number>>;
  /**
   * A newer head SHA supersedes the PR's `plan` jobs for other SHAs, and its running `/plan` commands that
   * plan another SHA (`startPlanCommand`): queued ones become 'superseded' at once, running ones get a
   * cancellation request their worker sees on its next heartbeat. Other commands (`/apply`...) never.
   */
  supersedePlanJobs(input: { repo: string; pr: number; headSha: string }): Promise<{ superseded: Job[]; cancelRequested: Job[] }>;
  /**
   * The running `command` job `jobId` (a `/plan` comment) starts planning `headSha` of its PR, in one
   * transaction: the job takes that head SHA, so a newer push supersedes it as it does a plan job; the PR's
   * plan jobs and planning commands of other heads enqueued before it are superseded (as by
   * `supersedePlanJobs`). `outdatedBy` is set, and nothing superseded, when a plan job of another head was
   * enqueued after this job (a push since the comment): this head is outdated, and must not be published.
   */
  startPlanCommand(input: { jobId: number; repo: string; pr: number; headSha: string }): Promise<{ superseded: Job[]; cancelRequested: Job[]; outdatedBy?: string }>;
  /**
   * `supersedePlanJobs` for the job's head, then `enqueueJob`, in one transaction: a plan job never
   * exists without its older heads superseded, and a pull_request webhook costs one commit, not three.
   */
  enqueuePlanJob(input: NewJob): Promise<{ job: Job; created: boolean; superseded: Job[]; cancelRequested: Job[] }>;
  /**
   * Mark abandoned running jobs 'interrupted' and return them (each job is returned to exactly one caller).
   * Abandoned: heartbeat older than `leaseMs`, or (SQLite) the owning process on this host is dead; the
   * job's `error` says which (`INTERRUPTED_ERRORS`).
   * Jobs of `exceptOwner` are never touched. Interrupted jobs are never re-run automatically.
   * An abandoned job that was already asked to cancel (superseded) becomes 'superseded' and is not returned.
   */
  recoverInterruptedJobs(options: { leaseMs: number; exceptOwner?: string }): Promise<Job[]>;

  // ---- audit --------------------------------------------------------------------------------
  /** Append one command or decision with its reason to the audit trail. */
  audit(event: AuditEventInput): Promise<AuditEvent>;
  /** The newest `limit` (default 1000) audit events of a repository (optionally one PR), oldest first. */
  listAudit(filter: { repo: string; pr?: number; limit?: number }): Promise<AuditEvent[]>;

  // ---- lifecycle ----------------------------------------------------------------------------
  /** Throws when the database cannot be reached (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type StoreEngine = 'sqlite' | 'postgres';

/** `stale`: an apply found the saved plan stale (the state changed after it was made) and applied nothing. */
export type PlanStatus = 'planning' | 'planned' | 'failed' | 'applying' | 'applied' | 'apply-failed' | 'stale' | 'superseded' | 'discarded';

export interface NewPlan {
  repo: string;
  pr: number;
  project: string;
  workspace: string;
  headSha: string;
  baseSha: string;
  status?: PlanStatus;
  planfile?: PlanFileRef | null;
  summary?: PlanSummary | null;
  risk?: RiskLevel | null;
}

export interface PlanPatch {
  status?: PlanStatus;
  planfile?: PlanFileRef | null;
  summary?: PlanSummary | null;
  risk?: RiskLevel | null;
}

export interface PlanRecord {
  id: number;
  repo: string;
  pr: number;
  project: string;
  workspace: string;
  headSha: string;
  baseSha: string;
  status: PlanStatus;
  planfile: PlanFileRef | null;
  summary: PlanSummary | null;
  risk: RiskLevel | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PlanFileOwner {
  repo: string;
  pr: number;
  project: string;
  workspace: string;
  headSha: string;
}

export interface PlanFileRef {
  /** Opaque: `file:plans/...` (relative to DATA_DIR) or `db:<id>`. */
  location: string;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
  size: number;
}

export interface PruneResult {
  plans: number;
  planFiles: number;
  jobs: number;
  /** Leftover `processed_keys` rows (written only by releases before schema migration 2). */
  processedKeys: number;
}

export interface LockRequest {
  repo: string;
  project: string;
  workspace: string;
  pr: number;
  /** Who took it (GitHub login or 'infra-review'). */
  holder: string;
}

export interface LockRecord {
  repo: string;
  project: string;
  workspace: string;
  pr: number;
  holder: string;
  since: Date;
}

export type LockResult = { acquired: true; lock: LockRecord } | { acquired: false; heldBy: { pr: number; holder: string; since: Date } };

export type ApplyKind = 'apply' | 'rollback';
/** `stale`: the tool refused the saved plan as stale (the state changed after it was made); nothing was changed. */
export type ApplyOutcome = 'running' | 'succeeded' | 'failed' | 'interrupted' | 'stale';

export interface NewApply {
  kind: ApplyKind;
  repo: string;
  pr: number;
  project: string;
  workspace: string;
  /** The commit applied (a rollback: the commit whose state is restored). */
  sha: string;
  actor: string;
  planId?: number | null;
  /** For a rollback: the apply it undoes. */
  rollbackOf?: number | null;
  jobId?: number | null;
}

export interface ApplyRecord {
  id: number;
  kind: ApplyKind;
  repo: string;
  pr: number;
  project: string;
  workspace: string;
  sha: string;
  actor: string;
  planId: number | null;
  rollbackOf: number | null;
  jobId: number | null;
  outcome: ApplyOutcome;
  startedAt: Date;
  finishedAt: Date | null;
  /** SHA-256 of the (redacted) output, so a log can be matched later without storing it. */
  outputDigest: string | null;
}

/** Job kinds used by the app; any string is accepted so later commands can add kinds. */
export type JobKind = 'plan' | 'apply' | 'rollback' | (string & {});
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'superseded' | 'cancelled' | 'interrupted';
export type JobFinalStatus = Exclude<JobStatus, 'queued' | 'running'>;

export interface NewJob {
  kind: JobKind;
  repo: string;
  pr: number;
  headSha: string;
  /** The command that asked for it, e.g. 'plan', '/apply -p prod'; part of the key. Defaults to `kind`. */
  command?: string;
  /** Handler input; must be JSON-serialisable. Never put secrets here: it is stored. */
  payload?: unknown;
  /** Overrides the derived key `repo#pr@headSha:command`. */
  key?: string;
}

export interface Job {
  id: number;
  key: string;
  kind: JobKind;
  repo: string;
  pr: number;
  headSha: string;
  command: string;
  payload: unknown;
  status: JobStatus;
  owner: string | null;
  attempts: number;
  /** Set when a cancellation was requested (e.g. 'superseded by <sha>'). */
  cancelReason: string | null;
  error: string | null;
  result: unknown;
  createdAt: Date;
  startedAt: Date | null;
  heartbeatAt: Date | null;
  finishedAt: Date | null;
}

export interface JobFilter {
  repo?: string;
  pr?: number;
  status?: JobStatus | JobStatus[];
  kind?: string;
}

/** A job without its payload and result (`Store.listJobSummaries`). */
export type JobSummary = Omit<Job, 'payload' | 'result'>;

/** What `Store.listPlanResults` reads of a job: enough to tell which plan (of which head) its result holds. */
export type PlanResultRow = Pick<Job, 'id' | 'kind' | 'status' | 'headSha' | 'result'>;

export interface JobHeartbeat {
  id: number;
  /** Why the job must stop, or null to keep going. */
  stop: null | { reason: 'cancel-requested'; detail: string } | { reason: 'lost'; detail: string };
}

export interface AuditEventInput {
  repo: string;
  pr?: number | null;
  /** Who caused it: a GitHub login, or 'infra-review' for the app's own decisions. */
  actor: string;
  /** What happened, e.g. 'command:/apply', 'decision:apply-denied', 'lock:acquired'. */
  action: string;
  project?: string | null;
  workspace?: string | null;
  /** The decision's reason in words ("missing approval from @acme/sre"). */
  reason?: string | null;
  /** Extra structured context (delivery id, comment id, SHA...). Never secrets. */
  details?: Record<string, unknown> | null;
}

export interface AuditEvent extends Required<Omit<AuditEventInput, 'details'>> {
  id: number;
  at: Date;
  details: Record<string, unknown> | null;
}

/**
 * The error `recoverInterruptedJobs` records on an interrupted job: why it was found abandoned. Readers
 * (the interruption report) compare against these to say what happened.
 */
export const INTERRUPTED_ERRORS = {
  /** SQLite: the process that ran it is gone from this host (it crashed, was killed, or was restarted). */
  processEnded: 'the infra-review process running this job ended (it crashed, was killed or was restarted); it is not re-run automatically',
  /** No heartbeat for longer than the lease: its process may have crashed or restarted, or lost contact with the database. */
  leaseExpired: 'the worker running this job stopped heartbeating for longer than the lease (a crash, a restart, or lost contact with the database); it is not re-run automatically',
} as const;

/** Derived job key: one job per (repo, PR, head SHA, command). */
export function jobKey(input: { repo: string; pr: number; headSha: string; command: string }): string {
  return `${input.repo}#${input.pr}@${input.headSha}:${input.command}`;
}
