import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './database-schema.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.js';
import type { Migration } from './migrations.js';
import { SchemaTooNewError } from './store-errors.js';
import type { StoreEngine } from './store.js';

/**
 * Bring the database to the newest schema this code knows, in one transaction.
 * PostgreSQL: a transaction-scoped advisory lock (per schema) serialises replicas starting at once; the
 * loser waits, then sees the migrations already applied. SQLite: BEGIN IMMEDIATE takes the write lock up
 * front for the same effect between processes sharing the file.
 * A database newer than the code is a `SchemaTooNewError`, never a silent downgrade.
 * Returns the versions it applied.
 */
export async function migrateSchema(
  db: Kysely<Database>,
  engine: StoreEngine,
  options: { schema?: string; migrations?: readonly Migration[] } = {},
): Promise<number[]> {
  const migrations = [...(options.migrations ?? MIGRATIONS)].sort((a, b) => a.version - b.version);
  const known = options.migrations ? migrations.reduce((max, m) => Math.max(max, m.version), 0) : LATEST_SCHEMA_VERSION;

  return db.connection().execute(async (conn) => {
    if (engine === 'postgres') {
      await sql`begin`.execute(conn);
      await sql`select pg_advisory_xact_lock(hashtext(${`infra-review:migrate:${options.schema ?? 'public'}`}))`.execute(conn);
      if (options.schema) await sql`create schema if not exists ${sql.id(options.schema)}`.execute(conn);
    } else {
      await sql`begin immediate`.execute(conn);
    }
    try {
      await conn.schema
        .createTable('ir_schema_migrations')
        .ifNotExists()
        .addColumn('version', 'integer', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'bigint', (c) => c.notNull())
        .execute();
      const row = await conn
        .selectFrom('ir_schema_migrations')
        .select((eb) => eb.fn.max('version').as('version'))
        .executeTakeFirst();
      const current = Number(row?.version ?? 0);
      if (current > known) throw new SchemaTooNewError(current, known);

      const applied: number[] = [];
      for (const migration of migrations) {
        if (migration.version <= current) continue;
        await migration.up(conn, engine);
        await conn
          .insertInto('ir_schema_migrations')
          .values({ version: migration.version, name: migration.name, applied_at: Date.now() })
          .execute();
        applied.push(migration.version);
      }
      await sql`commit`.execute(conn);
      return applied;
    } catch (error) {
      await sql`rollback`.execute(conn).catch(() => undefined);
      throw error;
    }
  });
}
