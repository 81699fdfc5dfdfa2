import { existsSync } from 'node:fs';
import path from 'node:path';
import type { OpenStoreOptions } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { CliError } from './cli-error.js';

/**
 * Runs `task` on the store the server uses (`DATA_DIR` / `DATABASE_URL` / `DATABASE_SCHEMA` from `env`)
 * and closes it afterwards. A store that cannot be opened is a CliError with exit status 1 that names
 * where it looked (never the database password) and why it failed.
 */
export async function withCliStore<T>(env: NodeJS.ProcessEnv, task: (store: Store) => Promise<T>): Promise<T> {
  // Loaded on use: `render` and `owners` should not pay for the database drivers.
  const { DEFAULT_DATA_DIR, SQLITE_FILE_NAME, openStore, storeOptionsFromEnv } = await import('../store/open-store.js');
  const options = storeOptionsFromEnv(env);
  const target = describeStoreTarget(options);
  if (!options.databaseUrl) {
    // Opening SQLite creates an empty database: an operator with the wrong DATA_DIR would be told
    // "no locks" instead of learning they are looking at the wrong place.
    const file = path.join(options.dataDir ?? DEFAULT_DATA_DIR, SQLITE_FILE_NAME);
    if (!existsSync(file)) throw new CliError(`cannot open the store (${target}): ${file} does not exist; set DATA_DIR to the server's data folder or DATABASE_URL`, 1);
  }
  let store: Store;
  try {
    store = await openStore({ ...options, poolSize: 2, onError: () => undefined });
  } catch (error) {
    throw new CliError(`cannot open the store (${target}): ${reasonOf(error)}`, 1);
  }
  try {
    return await task(store);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`store error (${target}): ${reasonOf(error)}`, 1);
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** `PostgreSQL at HOST:PORT/DB` or `SQLite in DIR`: enough to find the database, without credentials. */
export function describeStoreTarget(options: OpenStoreOptions): string {
  if (!options.databaseUrl) return `SQLite in ${options.dataDir ?? './data'}`;
  try {
    const url = new URL(options.databaseUrl);
    const where = `${url.hostname || 'localhost'}${url.port ? `:${url.port}` : ''}${url.pathname && url.pathname !== '/' ? url.pathname : ''}`;
    return `PostgreSQL at ${where}${options.schema ? ` (schema ${options.schema})` : ''}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL is not a valid URL)';
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    // pg reports a refused connection on every resolved address as an AggregateError with an empty message.
    return error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  }
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}
