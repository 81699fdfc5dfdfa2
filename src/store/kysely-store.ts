import { sql } from 'kysely';
import type { CompiledQuery, ExpressionBuilder, Kysely, QueryResult, Selectable } from 'kysely';
import type { PlanSummary, RiskLevel } from '../plan/analysis.js';
import type { ApplyTable, AuditEventTable, Database, JobTable, LockTable, PlanTable } from './database-schema.js';
import { ownerIsDeadLocally } from './owner-id.js';
import type { PlanFileStorage } from './plan-file-storage.js';
import { NotFoundError } from './store-errors.js';
import { boundJobResult } from './job-result-limit.js';
import { INTERRUPTED_ERRORS, jobKey } from './store.js';
import type {
  ApplyKind,
  ApplyOutcome,
  ApplyRecord,
  AuditEvent,
  AuditEventInput,
  Job,
  JobFinalStatus,
  JobHeartbeat,
  JobFilter,
  JobStatus,
  JobSummary,
  LockRecord,
  LockRequest,
  LockResult,
  NewApply,
  NewJob,
  NewPlan,
  PlanFileOwner,
  PlanFileRef,
  PlanPatch,
  PlanRecord,
  PlanResultRow,
  PlanStatus,
  PruneResult,
  Store,
  StoreEngine,
} from './store.js';

/** Errors and audit text are stored, never unbounded: a runaway error message must not bloat the database. */
const MAX_TEXT = 16_000;
/** Insert-then-read loops retry when the row they met vanished in between (released lock, finished job). */
const MAX_RACE_RETRIES = 20;
const ACTIVE_JOB: JobStatus[] = ['queued', 'running'];

/** The optional parts of a KyselyStore, given by name (see openStore). */
export interface KyselyStoreOptions {
  /** Runs after the database is destroyed, when the store is closed. Unset: nothing more. */
  onClose?: () => Promise<void>;
  /**
   * SQLite: runs a transaction whose statements do not depend on each other's results in one message to
   * the database thread (SqliteWorkerDialect.executeTransaction), so it holds the one connection for one
   * round trip instead of one per statement. Unset: a Kysely transaction, statement by statement.
   */
  transactionInOneMessage?: (queries: readonly CompiledQuery[]) => Promise<QueryResult<unknown>[]>;
}

/**
 * The Store on top of Kysely: one set of queries for SQLite and PostgreSQL. Atomicity comes from single
 * statements (INSERT ... ON CONFLICT DO NOTHING, UPDATE ... WHERE id = (SELECT ...) RETURNING) rather than
 * from transactions held across awaits, which keeps both engines identical and SQLite free of lock waits.
 */
export class KyselyStore implements Store {
  private readonly onClose: () => Promise<void>;
  private readonly transactionInOneMessage: KyselyStoreOptions['transactionInOneMessage'];

  constructor(
    readonly db: Kysely<Database>,
    readonly engine: StoreEngine,
    private readonly planFiles: PlanFileStorage,
    options: KyselyStoreOptions = {},
  ) {
    this.onClose = options.onClose ?? (async () => undefined);
    this.transactionInOneMessage = options.transactionInOneMessage;
  }

  // ---- plans ----

  async recordPlan(input: NewPlan): Promise<PlanRecord> {
    const now = Date.now();
    const row = await this.db
      .insertInto('plans')
      .values({
        repo: input.repo,
        pr: input.pr,
        project: input.project,
        workspace: input.workspace,
        head_sha: input.headSha,
        base_sha: input.baseSha,
        status: input.status ?? 'planning',
        ...planfileColumns(input.planfile ?? null),
        summary: input.summary ? JSON.stringify(input.summary) : null,
        risk: input.risk ?? null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPlan(row);
  }

  async updatePlan(id: number, patch: PlanPatch): Promise<PlanRecord> {
    const row = await this.db
      .updateTable('plans')
      .set({
        updated_at: Date.now(),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.planfile !== undefined ? planfileColumns(patch.planfile) : {}),
        ...(patch.summary !== undefined ? { summary: patch.summary ? JSON.stringify(patch.summary) : null } : {}),
        ...(patch.risk !== undefined ? { risk: patch.risk } : {}),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`plan ${id}`);
    return toPlan(row);
  }

  async claimPlanForApply(id: number): Promise<boolean> {
    const row = await this.db
      .updateTable('plans')
      .set({ status: 'applying' satisfies PlanStatus, updated_at: Date.now() })
      .where('id', '=', id)
      .where('status', '=', 'planned' satisfies PlanStatus)
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async getPlan(id: number): Promise<PlanRecord | undefined> {
    const row = await this.db.selectFrom('plans').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toPlan(row);
  }

  async latestPlan(query: { repo: string; pr: number; project: string; workspace: string; headSha?: string }): Promise<PlanRecord | undefined> {
    const row = await this.db
      .selectFrom('plans')
      .selectAll()
      .where('repo', '=', query.repo)
      .where('pr', '=', query.pr)
      .where('project', '=', query.project)
      .where('workspace', '=', query.workspace)
      .$if(query.headSha !== undefined, (q) => q.where('head_sha', '=', query.headSha as string))
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toPlan(row);
  }

  async listPlans(query: { repo: string; pr: number; headSha?: string }): Promise<PlanRecord[]> {
    const rows = await this.db
      .selectFrom('plans')
      .selectAll()
      .where('repo', '=', query.repo)
      .where('pr', '=', query.pr)
      .$if(query.headSha !== undefined, (q) => q.where('head_sha', '=', query.headSha as string))
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toPlan);
  }

  // ---- plan files ----

  putPlanFile(owner: PlanFileOwner, data: Uint8Array): Promise<PlanFileRef> {
    return this.planFiles.put(owner, data);
  }

  getPlanFile(ref: Pick<PlanFileRef, 'location' | 'sha256'>): Promise<Buffer> {
    return this.planFiles.get(ref);
  }

  async pruneOlderThan(ms: number): Promise<PruneResult> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`pruneOlderThan needs a non-negative age in milliseconds, got ${ms}`);
    const cutoff = Date.now() - ms;
    // Plans in flight keep their files whatever their age: an apply may be reading one right now.
    const old = await this.db
      .selectFrom('plans')
      .select(['id', 'planfile_location'])
      .where('created_at', '<', cutoff)
      .where('status', 'not in', ['planning', 'applying'] satisfies PlanStatus[])
      .execute();
    let planFiles = 0;
    for (const plan of old) {
      if (plan.planfile_location && (await this.planFiles.delete(plan.planfile_location))) planFiles += 1;
    }
    let plans = 0;
    for (let i = 0; i < old.length; i += 500) {
      const ids = old.slice(i, i + 500).map((p) => p.id);
      const result = await this.db.deleteFrom('plans').where('id', 'in', ids).executeTakeFirst();
      plans += Number(result.numDeletedRows);
    }
    planFiles += await this.planFiles.pruneOrphans(cutoff);
    const jobs = await this.db
      .deleteFrom('jobs')
      .where('status', 'not in', ACTIVE_JOB)
      .where((eb) => eb(eb.fn.coalesce('finished_at', 'created_at'), '<', cutoff))
      .executeTakeFirst();
    // Nothing writes processed_keys now (jobs.once_key replaced it); this empties what older releases left.
    const keys = await this.db.deleteFrom('processed_keys').where('created_at', '<', cutoff).executeTakeFirst();
    return { plans, planFiles, jobs: Number(jobs.numDeletedRows), processedKeys: Number(keys.numDeletedRows) };
  }

  // ---- locks ----

  async acquireLock(input: LockRequest): Promise<LockResult> {
    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt += 1) {
      // The primary key (repo, project, workspace) decides the race: exactly one insert wins.
      const inserted = await this.db
        .insertInto('locks')
        .values({ repo: input.repo, project: input.project, workspace: input.workspace, pr: input.pr, holder: input.holder, since: Date.now() })
        .onConflict((oc) => oc.columns(['repo', 'project', 'workspace']).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { acquired: true, lock: toLock(inserted) };
      const current = await this.getLock(input);
      if (!current) continue; // released between our insert and our read: try again
      if (current.pr === input.pr) return { acquired: true, lock: current };
      return { acquired: false, heldBy: { pr: current.pr, holder: current.holder, since: current.since } };
    }
    throw new Error(`lock ${input.repo} ${input.project}/${input.workspace} changed hands ${MAX_RACE_RETRIES} times while acquiring it`);
  }

  async releaseLock(input: { repo: string; project: string; workspace: string; pr?: number; force?: boolean }): Promise<boolean> {
    if (input.pr === undefined && !input.force) throw new TypeError('releaseLock needs the holding pr, or force: true');
    const result = await this.db
      .deleteFrom('locks')
      .where('repo', '=', input.repo)
      .where('project', '=', input.project)
      .where('workspace', '=', input.workspace)
      .$if(!input.force, (q) => q.where('pr', '=', input.pr as number))
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async releaseLocksForPr(repo: string, pr: number): Promise<LockRecord[]> {
    const rows = await this.db.deleteFrom('locks').where('repo', '=', repo).where('pr', '=', pr).returningAll().execute();
    return rows.map(toLock).sort(compareLocks);
  }

  async getLock(key: { repo: string; project: string; workspace: string }): Promise<LockRecord | undefined> {
    const row = await this.db
      .selectFrom('locks')
      .selectAll()
      .where('repo', '=', key.repo)
      .where('project', '=', key.project)
      .where('workspace', '=', key.workspace)
      .executeTakeFirst();
    return row && toLock(row);
  }

  async listLocks(filter: { repo?: string; pr?: number } = {}): Promise<LockRecord[]> {
    const rows = await this.db
      .selectFrom('locks')
      .selectAll()
      .$if(filter.repo !== undefined, (q) => q.where('repo', '=', filter.repo as string))
      .$if(filter.pr !== undefined, (q) => q.where('pr', '=', filter.pr as number))
      .orderBy('repo')
      .orderBy('project')
      .orderBy('workspace')
      .execute();
    return rows.map(toLock);
  }

  // ---- applies ----

  async recordApplyStart(input: NewApply): Promise<ApplyRecord> {
    const row = await this.db
      .insertInto('applies')
      .values({
        kind: input.kind,
        repo: input.repo,
        pr: input.pr,
        project: input.project,
        workspace: input.workspace,
        sha: input.sha,
        actor: input.actor,
        plan_id: input.planId ?? null,
        rollback_of: input.rollbackOf ?? null,
        job_id: input.jobId ?? null,
        outcome: 'running',
        started_at: Date.now(),
        finished_at: null,
        output_digest: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApply(row);
  }

  async recordApplyFinish(id: number, result: { outcome: Exclude<ApplyOutcome, 'running'>; outputDigest?: string | null }): Promise<ApplyRecord> {
    const row = await this.db
      .updateTable('applies')
      .set({ outcome: result.outcome, finished_at: Date.now(), output_digest: result.outputDigest ?? null })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`apply ${id}`);
    return toApply(row);
  }

  async getApply(id: number): Promise<ApplyRecord | undefined> {
    const row = await this.db.selectFrom('applies').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toApply(row);
  }

  async lastSuccessfulApply(repo: string, project: string, workspace: string, options: { beforeId?: number } = {}): Promise<ApplyRecord | undefined> {
    const row = await this.db
      .selectFrom('applies')
      .selectAll()
      .where('repo', '=', repo)
      .where('project', '=', project)
      .where('workspace', '=', workspace)
      .where('outcome', '=', 'succeeded')
      .$if(options.beforeId !== undefined, (q) => q.where('id', '<', options.beforeId as number))
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toApply(row);
  }

  async listApplies(filter: { repo: string; pr?: number; project?: string; workspace?: string }): Promise<ApplyRecord[]> {
    const rows = await this.db
      .selectFrom('applies')
      .selectAll()
      .where('repo', '=', filter.repo)
      .$if(filter.pr !== undefined, (q) => q.where('pr', '=', filter.pr as number))
      .$if(filter.project !== undefined, (q) => q.where('project', '=', filter.project as string))
      .$if(filter.workspace !== undefined, (q) => q.where('workspace', '=', filter.workspace as string))
      .orderBy('id', 'desc')
      .execute();
    return rows.map(toApply);
  }

  // ---- jobs ----

  async enqueueJob(input: NewJob): Promise<{ job: Job; created: boolean }> {
    return insertJob(this.db, input);
  }

  async enqueueJobOnce(onceKey: string, input: NewJob): Promise<{ job: Job; created: boolean } | undefined> {
    // One statement claims the key and enqueues the job (the job row carries the key under a unique
    // index): a failure loses neither, and a redelivery after success is refused.
    return insertJob(this.db, input, onceKey);
  }

  async claimJob(owner: string, kinds: readonly string[]): Promise<Job | undefined> {
    if (kinds.length === 0) return undefined;
    const now = Date.now();
    // One statement: pick the oldest queued job and take it. PostgreSQL skips rows another replica is
    // taking (SKIP LOCKED); SQLite runs the statement under its single writer lock.
    const next = this.db
      .selectFrom('jobs')
      .select('id')
      .where('status', '=', 'queued')
      .where('kind', 'in', [...kinds])
      .orderBy('id')
      .limit(1)
      .$if(this.engine === 'postgres', (q) => q.forUpdate().skipLocked());
    const row = await this.db
      .updateTable('jobs')
      .set((eb) => ({ status: 'running', owner, started_at: now, heartbeat_at: now, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', next)
      .where('status', '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    return row && toJob(row);
  }

  async heartbeatJobs(owner: string, ids: readonly number[]): Promise<JobHeartbeat[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('jobs')
      .set({ heartbeat_at: Date.now() })
      .where('id', 'in', [...ids])
      .where('owner', '=', owner)
      .where('status', '=', 'running')
      .returning(['id', 'cancel_reason'])
      .execute();
    const alive = new Map(rows.map((r) => [Number(r.id), r.cancel_reason]));
    return ids.map((id) => {
      if (!alive.has(id)) return { id, stop: { reason: 'lost', detail: 'the job is no longer running for this worker (marked interrupted or finished elsewhere)' } };
      const cancel = alive.get(id);
      return { id, stop: cancel ? { reason: 'cancel-requested', detail: cancel } : null };
    });
  }

  async finishJob(id: number, owner: string, result: { status: JobFinalStatus; error?: string | null; result?: unknown }): Promise<Job | undefined> {
    const row = await this.db
      .updateTable('jobs')
      .set({
        status: result.status,
        finished_at: Date.now(),
        error: result.error ? result.error.slice(0, MAX_TEXT) : null,
        // Bounded at MAX_JOB_RESULT_BYTES; beyond it a marker that says how large it was (job-result-limit.ts).
        result: result.result === undefined ? null : boundJobResult(result.result, MAX_TEXT - 200),
      })
      .where('id', '=', id)
      .where('owner', '=', owner)
      .where('status', '=', 'running')
      .returningAll()
      .executeTakeFirst();
    return row && toJob(row);
  }

  async getJob(id: number): Promise<Job | undefined> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toJob(row);
  }

  async listJobs(filter: JobFilter = {}): Promise<Job[]> {
    const rows = await this.selectJobs(filter).selectAll().execute();
    return rows.map(toJob);
  }

  async listJobSummaries(filter: JobFilter = {}): Promise<JobSummary[]> {
    const rows = await this.selectJobs(filter).select(JOB_SUMMARY_COLUMNS).execute();
    return rows.map(toJobSummary);
  }

  private selectJobs(filter: JobFilter) {
    const statuses = filter.status === undefined ? undefined : Array.isArray(filter.status) ? filter.status : [filter.status];
    return this.db
      .selectFrom('jobs')
      .$if(filter.repo !== undefined, (q) => q.where('repo', '=', filter.repo as string))
      .$if(filter.pr !== undefined, (q) => q.where('pr', '=', filter.pr as number))
      .$if(filter.kind !== undefined, (q) => q.where('kind', '=', filter.kind as string))
      .$if(statuses !== undefined && statuses.length > 0, (q) => q.where('status', 'in', statuses as string[]))
      .orderBy('id');
  }

  async listPlanResults(query: { repo: string; pr: number; headSha?: string }): Promise<PlanResultRow[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .select(['id', 'kind', 'status', 'head_sha', 'result'])
      .where('repo', '=', query.repo)
      .where('pr', '=', query.pr)
      .where('kind', 'in', ['plan', 'command'])
      .where('status', '=', 'succeeded')
      // A command job without a head may still hold a plan of this one (see Store.listPlanResults): read it.
      .$if(query.headSha !== undefined, (q) => q.where((eb) => eb.or([eb('head_sha', '=', query.headSha as string), eb.and([eb('kind', '=', 'command'), eb('head_sha', '=', '')])])))
      .orderBy('id')
      .execute();
    return rows.map((row) => ({ id: Number(row.id), kind: row.kind, status: row.status as JobStatus, headSha: row.head_sha, result: parseJson(row.result) }));
  }

  async countJobs(status: JobStatus): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('jobs')
      .select((eb) => ['kind', eb.fn.countAll<number>().as('count')])
      .where('status', '=', status)
      .groupBy('kind')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.kind, Number(r.count)]));
  }

  async supersedePlanJobs(input: { repo: string; pr: number; headSha: string }): Promise<{ superseded: Job[]; cancelRequested: Job[] }> {
    return supersedePlans(this.db, input);
  }

  async startPlanCommand(input: { jobId: number; repo: string; pr: number; headSha: string }): Promise<{ superseded: Job[]; cancelRequested: Job[]; outdatedBy?: string }> {
    return this.db.transaction().execute(async (trx) => {
      const newer = await trx
        .selectFrom('jobs')
        .select('head_sha')
        .where('repo', '=', input.repo)
        .where('pr', '=', input.pr)
        .where('kind', '=', 'plan')
        .where('id', '>', input.jobId)
        .where('head_sha', '!=', input.headSha)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (newer) return { superseded: [], cancelRequested: [], outdatedBy: newer.head_sha };
      await trx.updateTable('jobs').set({ head_sha: input.headSha }).where('id', '=', input.jobId).where('kind', '=', 'command').where('status', '=', 'running').execute();
      return supersedePlans(trx, { repo: input.repo, pr: input.pr, headSha: input.headSha, beforeId: input.jobId });
    });
  }

  async enqueuePlanJob(input: NewJob): Promise<{ job: Job; created: boolean; superseded: Job[]; cancelRequested: Job[] }> {
    // One transaction: one commit (one disk sync on SQLite) for what a pull_request webhook writes.
    if (this.transactionInOneMessage) {
      // Every webhook of a push runs this: as one message, it holds the connection for one round trip.
      const supersede = supersedeQueries(this.db, { repo: input.repo, pr: input.pr, headSha: input.headSha });
      const { key, insert } = insertJobQuery(this.db, input);
      const [superseded, cancelRequested, inserted, active] = await this.transactionInOneMessage([
        supersede.superseded.compile(),
        supersede.cancelRequested.compile(),
        insert.compile(),
        // Read in the same transaction: when the insert met a queued or running job of the key, this is it.
        activeJobQuery(this.db, key).compile(),
      ]);
      const jobs = (result: QueryResult<unknown> | undefined) => (result?.rows ?? []).map((row) => toJob(row as Selectable<JobTable>));
      const created = jobs(inserted)[0];
      const existing = jobs(active)[0];
      // The insert is a no-op only when a queued or running job holds the key (jobs_active_key), and this
      // transaction reads that job: there is always one or the other.
      const job = created ?? existing;
      if (!job) throw new Error(`job ${key}: the insert was refused but no queued or running job holds the key`);
      return { job, created: created !== undefined, superseded: jobs(superseded), cancelRequested: jobs(cancelRequested) };
    }
    return this.db.transaction().execute(async (trx) => {
      const { superseded, cancelRequested } = await supersedePlans(trx, { repo: input.repo, pr: input.pr, headSha: input.headSha });
      return { ...(await insertJob(trx, input)), superseded, cancelRequested };
    });
  }

  async recoverInterruptedJobs(options: { leaseMs: number; exceptOwner?: string }): Promise<Job[]> {
    const now = Date.now();
    const cutoff = now - options.leaseMs;
    // SQLite lives on one host: a dead owner process is known at once, no need to wait for its lease.
    const owners = await this.db.selectFrom('jobs').select('owner').distinct().where('status', '=', 'running').execute();
    const dead = owners
      .map((o) => o.owner)
      .filter((o): o is string => o !== null && o !== options.exceptOwner && (this.engine === 'sqlite' ? ownerIsDeadLocally(o) : false));
    // `whose`: jobs of dead owners only, of silent ones only (heartbeat older than the lease), or both.
    const abandoned = (status: 'interrupted' | 'superseded', error: string | undefined, whose: 'dead' | 'silent' | 'both') =>
      this.db
        .updateTable('jobs')
        .set((eb) => ({ status, finished_at: now, error: error ?? eb.ref('cancel_reason') }))
        .where('status', '=', 'running')
        .where('cancel_reason', status === 'superseded' ? 'is not' : 'is', null)
        .$if(options.exceptOwner !== undefined, (q) => q.where('owner', '!=', options.exceptOwner as string))
        .where((eb) => {
          const which = [];
          if (whose !== 'dead') which.push(eb('heartbeat_at', '<', cutoff), eb('heartbeat_at', 'is', null));
          if (whose !== 'silent' && dead.length > 0) which.push(eb('owner', 'in', dead));
          return eb.or(which);
        })
        .returningAll()
        .execute();
    // A superseded plan whose worker died needs no report: a newer plan replaces it anyway.
    await abandoned('superseded', undefined, 'both');
    // The store records why: a dead owner first (known for certain), then jobs whose lease ran out.
    const rows = [
      ...(dead.length > 0 ? await abandoned('interrupted', INTERRUPTED_ERRORS.processEnded, 'dead') : []),
      ...(await abandoned('interrupted', INTERRUPTED_ERRORS.leaseExpired, 'silent')),
    ];
    const jobs = rows.map(toJob).sort((a, b) => a.id - b.id);
    if (jobs.length > 0) {
      // An apply whose job died did not finish: say so in its record rather than leaving it 'running'.
      await this.db
        .updateTable('applies')
        .set({ outcome: 'interrupted', finished_at: now })
        .where('job_id', 'in', jobs.map((j) => j.id))
        .where('outcome', '=', 'running')
        .execute();
    }
    return jobs;
  }

  // ---- audit ----

  async audit(event: AuditEventInput): Promise<AuditEvent> {
    const row = await this.db
      .insertInto('audit_events')
      .values({
        at: Date.now(),
        repo: event.repo,
        pr: event.pr ?? null,
        actor: event.actor,
        action: event.action,
        project: event.project ?? null,
        workspace: event.workspace ?? null,
        reason: event.reason ? event.reason.slice(0, MAX_TEXT) : null,
        details: event.details ? truncateJson(event.details, MAX_TEXT) : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAudit(row);
  }

  async listAudit(filter: { repo: string; pr?: number; limit?: number }): Promise<AuditEvent[]> {
    const rows = await this.db
      .selectFrom('audit_events')
      .selectAll()
      .where('repo', '=', filter.repo)
      .$if(filter.pr !== undefined, (q) => q.where('pr', '=', filter.pr as number))
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 1000)
      .execute();
    // Newest N from the index, handed back oldest first.
    return rows.reverse().map(toAudit);
  }

  // ---- lifecycle ----

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.destroy();
    await this.onClose();
  }
}

/**
 * `Store.supersedePlanJobs` on `db` (the store, or a transaction of it); with `beforeId`, only jobs enqueued
 * before that one. A `command` job plans a head only once `startPlanCommand` gave it one (its head SHA is
 * '' until then, and always for other commands): only then is it superseded.
 */
async function supersedePlans(db: Kysely<Database>, input: { repo: string; pr: number; headSha: string; beforeId?: number }): Promise<{ superseded: Job[]; cancelRequested: Job[] }> {
  const queries = supersedeQueries(db, input);
  const superseded = await queries.superseded.execute();
  const cancelRequested = await queries.cancelRequested.execute();
  return { superseded: superseded.map(toJob), cancelRequested: cancelRequested.map(toJob) };
}

/** A newer head's plan supersedes the PR's queued plans of other heads, and asks its running ones to stop. */
function supersedeQueries(db: Kysely<Database>, input: { repo: string; pr: number; headSha: string; beforeId?: number }) {
  const reason = `superseded by ${input.headSha}`;
  const planning = (eb: ExpressionBuilder<Database, 'jobs'>) => eb.or([eb('kind', '=', 'plan'), eb.and([eb('kind', '=', 'command'), eb('head_sha', '!=', '')])]);
  const superseded = db
    .updateTable('jobs')
    .set({ status: 'superseded', finished_at: Date.now(), cancel_reason: reason })
    .where('repo', '=', input.repo)
    .where('pr', '=', input.pr)
    .where(planning)
    .where('status', '=', 'queued')
    .where('head_sha', '!=', input.headSha)
    .$if(input.beforeId !== undefined, (q) => q.where('id', '<', input.beforeId as number))
    .returningAll();
  const cancelRequested = db
    .updateTable('jobs')
    .set({ cancel_reason: reason })
    .where('repo', '=', input.repo)
    .where('pr', '=', input.pr)
    .where(planning)
    .where('status', '=', 'running')
    .where('head_sha', '!=', input.headSha)
    .where('cancel_reason', 'is', null)
    .$if(input.beforeId !== undefined, (q) => q.where('id', '<', input.beforeId as number))
    .returningAll();
  return { superseded, cancelRequested };
}

/** Insert a queued job unless one with the same key is queued or running (then that one is returned). */
async function insertJob(db: Kysely<Database>, input: NewJob): Promise<{ job: Job; created: boolean }>;
async function insertJob(db: Kysely<Database>, input: NewJob, onceKey: string): Promise<{ job: Job; created: boolean } | undefined>;
async function insertJob(db: Kysely<Database>, input: NewJob, onceKey?: string): Promise<{ job: Job; created: boolean } | undefined> {
  const { key, insert } = insertJobQuery(db, input, onceKey);
  for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt += 1) {
    // The partial unique index on key (queued or running) makes a duplicate insert a no-op.
    const inserted = await insert.executeTakeFirst();
    if (inserted) return { job: toJob(inserted), created: true };
    if (onceKey !== undefined) {
      const claimed = await db.selectFrom('jobs').select('id').where('once_key', '=', onceKey).executeTakeFirst();
      if (claimed) return undefined;
    }
    const existing = await activeJobQuery(db, key).executeTakeFirst();
    if (existing) return { job: toJob(existing), created: false };
  }
  throw new Error(`job ${key} kept finishing while it was being enqueued`);
}

/** The insert of a queued job (a no-op when one of its key is queued or running), and that key. */
function insertJobQuery(db: Kysely<Database>, input: NewJob, onceKey?: string) {
  const command = input.command ?? input.kind;
  const key = input.key ?? jobKey({ repo: input.repo, pr: input.pr, headSha: input.headSha, command });
  const payload = input.payload === undefined ? null : JSON.stringify(input.payload);
  const insert = db
      .insertInto('jobs')
      .values({
        key,
        kind: input.kind,
        repo: input.repo,
        pr: input.pr,
        head_sha: input.headSha,
        command,
        payload,
        status: 'queued',
        owner: null,
        attempts: 0,
        cancel_reason: null,
        error: null,
        result: null,
        created_at: Date.now(),
        started_at: null,
        heartbeat_at: null,
        finished_at: null,
        once_key: onceKey ?? null,
      })
      .onConflict((oc) => oc.doNothing())
      .returningAll();
  return { key, insert };
}

/** The queued or running job of a key (the newest). */
function activeJobQuery(db: Kysely<Database>, key: string) {
  return db.selectFrom('jobs').selectAll().where('key', '=', key).where('status', 'in', ACTIVE_JOB).orderBy('id', 'desc').limit(1);
}

function planfileColumns(ref: PlanFileRef | null): Pick<PlanTable, 'planfile_location' | 'planfile_sha256' | 'planfile_size'> {
  return { planfile_location: ref?.location ?? null, planfile_sha256: ref?.sha256 ?? null, planfile_size: ref?.size ?? null };
}

/** The JSON of `value` when it fits in `max` characters, else a marker with a short preview (never more than MAX_TEXT). */
function truncateJson(value: unknown, max: number): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length <= max ? text : JSON.stringify({ truncated: true, preview: text.slice(0, MAX_TEXT - 100) });
}

function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

function date(ms: number | string): Date {
  return new Date(Number(ms));
}

function maybeDate(ms: number | string | null): Date | null {
  return ms === null ? null : date(ms);
}

function maybeNumber(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

function toPlan(row: Selectable<PlanTable>): PlanRecord {
  return {
    id: Number(row.id),
    repo: row.repo,
    pr: Number(row.pr),
    project: row.project,
    workspace: row.workspace,
    headSha: row.head_sha,
    baseSha: row.base_sha,
    status: row.status as PlanStatus,
    planfile:
      row.planfile_location && row.planfile_sha256
        ? { location: row.planfile_location, sha256: row.planfile_sha256, size: Number(row.planfile_size ?? 0) }
        : null,
    summary: parseJson(row.summary) as PlanSummary | null,
    risk: (row.risk as RiskLevel | null) ?? null,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

function toLock(row: Selectable<LockTable>): LockRecord {
  return { repo: row.repo, project: row.project, workspace: row.workspace, pr: Number(row.pr), holder: row.holder, since: date(row.since) };
}

function compareLocks(a: LockRecord, b: LockRecord): number {
  return a.repo.localeCompare(b.repo) || a.project.localeCompare(b.project) || a.workspace.localeCompare(b.workspace);
}

function toApply(row: Selectable<ApplyTable>): ApplyRecord {
  return {
    id: Number(row.id),
    kind: row.kind as ApplyKind,
    repo: row.repo,
    pr: Number(row.pr),
    project: row.project,
    workspace: row.workspace,
    sha: row.sha,
    actor: row.actor,
    planId: maybeNumber(row.plan_id),
    rollbackOf: maybeNumber(row.rollback_of),
    jobId: maybeNumber(row.job_id),
    outcome: row.outcome as ApplyOutcome,
    startedAt: date(row.started_at),
    finishedAt: maybeDate(row.finished_at),
    outputDigest: row.output_digest,
  };
}

function toJob(row: Selectable<JobTable>): Job {
  return { ...toJobSummary(row), payload: parseJson(row.payload), result: parseJson(row.result) };
}

/** Every column of a job but its payload and result (the large ones), for `listJobSummaries`. */
const JOB_SUMMARY_COLUMNS = [
  'id',
  'key',
  'kind',
  'repo',
  'pr',
  'head_sha',
  'command',
  'status',
  'owner',
  'attempts',
  'cancel_reason',
  'error',
  'created_at',
  'started_at',
  'heartbeat_at',
  'finished_at',
] as const satisfies readonly (keyof JobTable)[];

function toJobSummary(row: Pick<Selectable<JobTable>, (typeof JOB_SUMMARY_COLUMNS)[number]>): JobSummary {
  return {
    id: Number(row.id),
    key: row.key,
    kind: row.kind,
    repo: row.repo,
    pr: Number(row.pr),
    headSha: row.head_sha,
    command: row.command,
    status: row.status as JobStatus,
    owner: row.owner,
    attempts: Number(row.attempts),
    cancelReason: row.cancel_reason,
    error: row.error,
    createdAt: date(row.created_at),
    startedAt: maybeDate(row.started_at),
    heartbeatAt: maybeDate(row.heartbeat_at),
    finishedAt: maybeDate(row.finished_at),
  };
}

function toAudit(row: Selectable<AuditEventTable>): AuditEvent {
  return {
    id: Number(row.id),
    at: date(row.at),
    repo: row.repo,
    pr: maybeNumber(row.pr),
    actor: row.actor,
    action: row.action,
    project: row.project,
    workspace: row.workspace,
    reason: row.reason,
    details: parseJson(row.details) as Record<string, unknown> | null,
  };
}
