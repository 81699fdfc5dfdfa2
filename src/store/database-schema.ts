import type { Generated } from 'kysely';

/**
 * Table shapes as Kysely sees them. Times are epoch milliseconds (bigint on PostgreSQL, parsed to
 * number by the pool; integer on SQLite). JSON is stored as text so both engines treat it alike.
 */
export interface Database {
  ir_schema_migrations: SchemaMigrationTable;
  plans: PlanTable;
  plan_files: PlanFileTable;
  locks: LockTable;
  applies: ApplyTable;
  jobs: JobTable;
  audit_events: AuditEventTable;
  processed_keys: ProcessedKeyTable;
}

export interface SchemaMigrationTable {
  version: number;
  name: string;
  applied_at: number;
}

export interface PlanTable {
  id: Generated<number>;
  repo: string;
  pr: number;
  project: string;
  workspace: string;
  head_sha: string;
  base_sha: string;
  status: string;
  planfile_location: string | null;
  planfile_sha256: string | null;
  planfile_size: number | null;
  summary: string | null;
  risk: string | null;
  created_at: number;
  updated_at: number;
}

export interface PlanFileTable {
  id: Generated<number>;
  sha256: string;
  data: Buffer;
  created_at: number;
}

export interface LockTable {
  repo: string;
  project: string;
  workspace: string;
  pr: number;
  holder: string;
  since: number;
}

export interface ApplyTable {
  id: Generated<number>;
  kind: string;
  repo: string;
  pr: number;
  project: string;
  workspace: string;
  sha: string;
  actor: string;
  plan_id: number | null;
  rollback_of: number | null;
  job_id: number | null;
  outcome: string;
  started_at: number;
  finished_at: number | null;
  output_digest: string | null;
}

export interface JobTable {
  id: Generated<number>;
  key: string;
  kind: string;
  repo: string;
  pr: number;
  head_sha: string;
  command: string;
  payload: string | null;
  status: string;
  owner: string | null;
  attempts: number;
  cancel_reason: string | null;
  error: string | null;
  result: string | null;
  created_at: number;
  started_at: number | null;
  heartbeat_at: number | null;
  finished_at: number | null;
  /** Set by `enqueueJobOnce`: unique for ever (until pruned), so the same comment never runs twice. */
  once_key: string | null;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: number;
  repo: string;
  pr: number | null;
  actor: string;
  action: string;
  project: string | null;
  workspace: string | null;
  reason: string | null;
  details: string | null;
}

/**
 * Created by migration 1 (released) for the old `claimOnce`; nothing writes it since migration 2 moved
 * the exactly-once claim to `jobs.once_key`. Kept in the schema; `pruneOlderThan` empties old rows.
 */
export interface ProcessedKeyTable {
  key: string;
  created_at: number;
}
