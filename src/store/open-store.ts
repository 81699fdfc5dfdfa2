import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './database-schema.js';
import { KyselyStore } from './kysely-store.js';
import { migrateSchema } from './migrate-schema.js';
import { DatabasePlanFileStorage, FilePlanFileStorage } from './plan-file-storage.js';
import { SqliteWorkerDialect } from './sqlite-worker-dialect.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** Folder for the SQLite database and plan files (`DATA_DIR`, default `./data`). */
  dataDir?: string;
  /** `postgres://...` (`DATABASE_URL`): use PostgreSQL instead of SQLite. */
  databaseUrl?: string;
  /** PostgreSQL schema to use (created if missing); default: the server's search_path (usually `public`). */
  schema?: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** Where pool errors are reported; defaults to stderr. */
  onError?: (error: Error) => void;
}

export const DEFAULT_DATA_DIR = './data';
export const SQLITE_FILE_NAME = 'infra-review.sqlite';
/** How long a SQLite statement waits for another process's write lock (the CLI, say) before failing. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** The env-style inputs: `DATA_DIR`, `DATABASE_URL`, `DATABASE_SCHEMA`. Empty values count as unset. */
export function storeOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): OpenStoreOptions {
  const options: OpenStoreOptions = {};
  if (env.DATA_DIR?.trim()) options.dataDir = env.DATA_DIR.trim();
  if (env.DATABASE_URL?.trim()) options.databaseUrl = env.DATABASE_URL.trim();
  if (env.DATABASE_SCHEMA?.trim()) options.schema = env.DATABASE_SCHEMA.trim();
  return options;
}

/**
 * Open the store and bring its schema up to date: PostgreSQL when `databaseUrl` is set, otherwise SQLite
 * in `dataDir` (no configuration at all). Throws `SchemaTooNewError` when the database is newer than the code.
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  return options.databaseUrl ? openPostgresStore(options.databaseUrl, options) : openSqliteStore(options.dataDir ?? DEFAULT_DATA_DIR);
}

async function openSqliteStore(dataDir: string): Promise<Store> {
  // Plan files may hold secrets in clear text: the folder is private to the app's user.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, SQLITE_FILE_NAME);
  // The database runs in a thread of its own (see sqlite-worker-dialect.ts): commits and lock waits never stop the event loop.
  const dialect = new SqliteWorkerDialect({ file, busyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS });
  const db = new Kysely<Database>({ dialect });
  try {
    // The first query opens the database (creating the file); it may hold secrets in plan metadata: private to the app's user.
    await sql`select 1`.execute(db);
    await chmod(file, 0o600);
    await migrateSchema(db, 'sqlite');
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db, 'sqlite', new FilePlanFileStorage(dataDir), {
    transactionInOneMessage: (queries) => dialect.executeTransaction(queries),
  });
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

async function openPostgresStore(databaseUrl: string, options: OpenStoreOptions): Promise<Store> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`database schema name ${JSON.stringify(options.schema)} must be letters, digits and underscores`);
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    // Every connection of this pool sees only our schema; search_path is resolved at use, so the schema
    // may be created by the first migration.
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    types: { getTypeParser: parseInt8AsNumber as typeof pg.types.getTypeParser },
  });
  const onError = options.onError ?? ((error: Error) => process.stderr.write(`infra-review store: idle PostgreSQL connection failed: ${error.message}\n`));
  pool.on('error', onError);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateSchema(db, 'postgres', options.schema ? { schema: options.schema } : {});
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db, 'postgres', new DatabasePlanFileStorage(db));
}

/** Times and ids are bigint columns: as numbers they stay exact (< 2^53) and match SQLite's values. */
function parseInt8AsNumber(oid: number, format?: 'text' | 'binary'): unknown {
  if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
  return pg.types.getTypeParser(oid, format as 'text');
}
