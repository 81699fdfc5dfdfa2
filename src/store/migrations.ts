import { sql } from 'kysely';
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { StoreEngine } from './store.js';

/**
 * Versioned schema migrations, applied in order at start. Append new ones; never edit a released one.
 * Each runs inside the migration transaction (DDL is transactional on both engines).
 */
export interface Migration {
  version: number;
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
  up(db: Kysely<any>, engine: StoreEngine): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'plans, plan files, locks, applies, jobs, audit, processed keys',
    async up(db, engine) {
      const id = engine === 'postgres' ? 'bigserial' : 'integer';
      const idColumn = (c: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
        engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement();
      const blob = engine === 'postgres' ? sql`bytea` : sql`blob`;

      await db.schema
        .createTable('plans')
        .addColumn('id', id, idColumn)
        .addColumn('repo', 'text', (c) => c.notNull())
        .addColumn('pr', 'integer', (c) => c.notNull())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('head_sha', 'text', (c) => c.notNull())
        .addColumn('base_sha', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('planfile_location', 'text')
        .addColumn('planfile_sha256', 'text')
        .addColumn('planfile_size', 'bigint')
        .addColumn('summary', 'text')
        .addColumn('risk', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('plans_by_pr').on('plans').columns(['repo', 'pr', 'project', 'workspace']).execute();
      await db.schema.createIndex('plans_by_age').on('plans').column('created_at').execute();

      await db.schema
        .createTable('plan_files')
        .addColumn('id', id, idColumn)
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('data', blob, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('locks')
        .addColumn('repo', 'text', (c) => c.notNull())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('pr', 'integer', (c) => c.notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('since', 'bigint', (c) => c.notNull())
        // the primary key is what makes acquiring atomic: INSERT ... ON CONFLICT DO NOTHING
        .addPrimaryKeyConstraint('locks_pk', ['repo', 'project', 'workspace'])
        .execute();
      await db.schema.createIndex('locks_by_pr').on('locks').columns(['repo', 'pr']).execute();

      await db.schema
        .createTable('applies')
        .addColumn('id', id, idColumn)
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('repo', 'text', (c) => c.notNull())
        .addColumn('pr', 'integer', (c) => c.notNull())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('workspace', 'text', (c) => c.notNull())
        .addColumn('sha', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('plan_id', 'bigint')
        .addColumn('rollback_of', 'bigint')
        .addColumn('job_id', 'bigint')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('output_digest', 'text')
        .execute();
      await db.schema.createIndex('applies_by_project').on('applies').columns(['repo', 'project', 'workspace', 'id']).execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', id, idColumn)
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('repo', 'text', (c) => c.notNull())
        .addColumn('pr', 'integer', (c) => c.notNull())
        .addColumn('head_sha', 'text', (c) => c.notNull())
        .addColumn('command', 'text', (c) => c.notNull())
        .addColumn('payload', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cancel_reason', 'text')
        .addColumn('error', 'text')
        .addColumn('result', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('heartbeat_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .execute();
      // At most one queued-or-running job per key: enqueue relies on it to never duplicate.
      await sql`create unique index jobs_active_key on jobs (key) where status in ('queued', 'running')`.execute(db);
      await db.schema.createIndex('jobs_by_status').on('jobs').columns(['status', 'id']).execute();
      await db.schema.createIndex('jobs_by_pr').on('jobs').columns(['repo', 'pr', 'kind']).execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', id, idColumn)
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('repo', 'text', (c) => c.notNull())
        .addColumn('pr', 'integer')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('project', 'text')
        .addColumn('workspace', 'text')
        .addColumn('reason', 'text')
        .addColumn('details', 'text')
        .execute();
      await db.schema.createIndex('audit_by_pr').on('audit_events').columns(['repo', 'pr', 'id']).execute();

      await db.schema
        .createTable('processed_keys')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    version: 2,
    name: 'jobs.once_key: a job enqueued at most once per key, ever (comment commands)',
    async up(db) {
      await db.schema.alterTable('jobs').addColumn('once_key', 'text').execute();
      // NULLs are distinct on both engines: only jobs enqueued with a once-key are constrained.
      await db.schema.createIndex('jobs_once_key').unique().on('jobs').column('once_key').execute();
    },
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
