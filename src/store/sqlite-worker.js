// @ts-check
/**
 * The SQLite store's database thread. better-sqlite3 is synchronous: run on the event loop, every commit
 * (a disk sync: `synchronous = FULL`) and every wait for another process's write lock (the busy timeout)
 * would stall every webhook the server is answering. Here they stall only this thread, while the event
 * loop awaits the answer (see sqlite-worker-dialect.ts, which starts this file).
 *
 * Plain JavaScript (checked by TypeScript through JSDoc) so that the same file runs from `src/` under the
 * tests and from `lib/` in the built app: a worker thread is started from a file Node can load as it is.
 *
 * workerData: `{ file, busyTimeoutMs, cacheSize }`. Messages in: `{ id, sql, parameters }` runs one
 * statement; `{ id, close: true }` closes the database and ends the thread. Messages out:
 * `{ ready: true }` once the database is open, or `{ ready: false, error }`; then per request
 * `{ id, rows }`, `{ id, changes, lastInsertRowid }` or `{ id, error }` (error: `{ name, message, code }`).
 * `{ id, batch: [{ sql, parameters }] }` runs the statements as one transaction (runTransaction) and
 * answers `{ id, results }` (one `{ rows }` or `{ changes, lastInsertRowid }` each) or `{ id, error }`.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

/** Distinct SQL texts kept prepared; the store issues a few dozen shapes, so this is never reached in practice. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * `database.prepare`, with each distinct SQL text prepared once (compiling a statement costs about as much
 * as running it). A statement being iterated is busy: the caller gets a fresh, uncached one instead. The
 * least recently used go beyond `capacity`.
 *
 * @param {import('better-sqlite3').Database} database
 * @param {number} [capacity]
 * @returns {(sql: string) => import('better-sqlite3').Statement}
 */
export function cachedPrepare(database, capacity = STATEMENT_CACHE_SIZE) {
  /** @type {Map<string, import('better-sqlite3').Statement>} */
  const cache = new Map();
  return (sql) => {
    const cached = cache.get(sql);
    if (cached && !cached.busy) {
      // Most recently used last: Map keeps insertion order.
      cache.delete(sql);
      cache.set(sql, cached);
      return cached;
    }
    const statement = database.prepare(sql);
    if (cached) return statement;
    cache.set(sql, statement);
    if (cache.size > capacity) cache.delete(/** @type {string} */ (cache.keys().next().value));
    return statement;
  };
}

/**
 * Opens the database the way the store needs it: WAL, every commit synced to disk (a committed lock,
 * apply record or audit entry survives a power cut, not only a crash), foreign keys enforced.
 *
 * @param {string} file
 * @param {number} busyTimeoutMs
 */
export function openDatabase(file, busyTimeoutMs) {
  const database = new BetterSqlite3(file, { timeout: busyTimeoutMs });
  try {
    // Switching a new database to WAL needs a lock SQLite does not wait for (no busy handler): another
    // process, or another store of this one, opening the same new file at the same moment makes it fail at
    // once with SQLITE_BUSY. Wait for it as for any other lock, up to the busy timeout.
    retryWhileBusy(() => database.pragma('journal_mode = WAL'), busyTimeoutMs);
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}

/**
 * `run()`, again every 10 ms while it fails with SQLITE_BUSY, for up to `timeoutMs`. Sleeping blocks only
 * this thread (the database's own), never the event loop.
 *
 * @template T
 * @param {() => T} run
 * @param {number} timeoutMs
 * @returns {T}
 */
function retryWhileBusy(run, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return run();
    } catch (error) {
      const code = /** @type {{ code?: unknown }} */ (error).code;
      if (code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      Atomics.wait(sleeper, 0, 0, 10);
    }
  }
}

/**
 * Parameters arrive through structured clone: a Buffer becomes a plain Uint8Array, which better-sqlite3
 * does not bind as a blob.
 *
 * @param {unknown[]} parameters
 */
function bindable(parameters) {
  return parameters.map((value) => (value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value));
}

/** @param {unknown} error */
function describeError(error) {
  if (error instanceof Error) {
    const code = /** @type {{ code?: unknown }} */ (error).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

function serve() {
  const port = parentPort;
  if (!port) return;
  const { file, busyTimeoutMs, cacheSize } = /** @type {{ file: string, busyTimeoutMs: number, cacheSize?: number }} */ (workerData);
  /** @type {import('better-sqlite3').Database} */
  let database;
  try {
    database = openDatabase(file, busyTimeoutMs);
  } catch (error) {
    port.postMessage({ ready: false, error: describeError(error) });
    return;
  }
  const prepare = cachedPrepare(database, cacheSize);
  port.postMessage({ ready: true });
  port.on('message', (/** @type {{ id: number, sql?: string, parameters?: unknown[], batch?: Array<{ sql: string, parameters: unknown[] }>, close?: boolean }} */ request) => {
    const { id } = request;
    if (request.close) {
      let error;
      try {
        database.close();
      } catch (caught) {
        error = describeError(caught);
      }
      port.postMessage(error ? { id, error } : { id });
      port.close();
      return;
    }
    if (request.batch) {
      port.postMessage(runTransaction(database, prepare, id, request.batch));
      return;
    }
    try {
      const statement = prepare(/** @type {string} */ (request.sql));
      const parameters = bindable(request.parameters ?? []);
      if (statement.reader) {
        port.postMessage({ id, rows: statement.all(parameters) });
      } else {
        const { changes, lastInsertRowid } = statement.run(parameters);
        port.postMessage({ id, changes, lastInsertRowid });
      }
    } catch (error) {
      port.postMessage({ id, error: describeError(error) });
    }
  });
}

/**
 * Runs statements as one transaction, all in this thread: `begin immediate` (waiting for the write lock up
 * to the busy timeout, as any write), each statement in order, `commit`. Nothing of it is kept if one fails:
 * the answer is then that statement's error. One message instead of one per statement means the event
 * loop's turnarounds between statements no longer hold the one connection (and everyone behind it).
 *
 * @param {import('better-sqlite3').Database} database
 * @param {(sql: string) => import('better-sqlite3').Statement} prepare
 * @param {number} id
 * @param {Array<{ sql: string, parameters: unknown[] }>} batch
 */
export function runTransaction(database, prepare, id, batch) {
  try {
    database.exec('begin immediate');
  } catch (error) {
    return { id, error: describeError(error) };
  }
  try {
    const results = batch.map(({ sql, parameters }) => {
      const statement = prepare(sql);
      const bound = bindable(parameters);
      if (statement.reader) return { rows: statement.all(bound) };
      const { changes, lastInsertRowid } = statement.run(bound);
      return { changes, lastInsertRowid };
    });
    database.exec('commit');
    return { id, results };
  } catch (error) {
    try {
      if (database.inTransaction) database.exec('rollback');
    } catch {
      // SQLite ended the transaction itself: nothing of it is kept either way.
    }
    return { id, error: describeError(error) };
  }
}

if (!isMainThread) serve();
