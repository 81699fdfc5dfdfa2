import { Worker } from 'node:worker_threads';
import { CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { DatabaseConnection, DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler, QueryResult } from 'kysely';

export interface SqliteWorkerOptions {
  /** The database file (created if missing). */
  file: string;
  /** How long a statement waits for another process's write lock before failing (`SQLITE_BUSY`). */
  busyTimeoutMs: number;
}

/** An error of the database thread, as it was thrown there (better-sqlite3's `SqliteError` keeps its `code`). */
export class SqliteWorkerError extends Error {
  readonly code: string | undefined;

  constructor(described: { name?: string; message: string; code?: string }) {
    super(described.message);
    this.name = described.name ?? 'Error';
    this.code = described.code;
  }
}

type StatementResult = { rows?: Record<string, unknown>[]; changes?: number; lastInsertRowid?: number | bigint };
type Reply = StatementResult & { id: number; error?: { name: string; message: string; code?: string }; results?: StatementResult[] };
type Ready = { ready: boolean; error?: { name: string; message: string; code?: string } };

/**
 * Kysely's SQLite dialect with better-sqlite3 running in a thread of its own (sqlite-worker.js). The
 * queries, the statements and the single connection are the same as Kysely's own SqliteDialect; what
 * changes is where the synchronous work happens: a commit's disk sync, or a wait for a write lock held by
 * another process (the CLI, a second replica on the same file), no longer stops the event loop, so a
 * webhook that writes nothing is answered while another's commit reaches the disk.
 */
export class SqliteWorkerDialect implements Dialect {
  private driver: SqliteWorkerDriver | undefined;

  constructor(private readonly options: SqliteWorkerOptions) {}

  createDriver(): Driver {
    this.driver = new SqliteWorkerDriver(this.options);
    return this.driver;
  }

  /**
   * Runs `queries` as one transaction in the database thread, in one message (see runTransaction in
   * sqlite-worker.js): for a transaction whose statements do not depend on each other's results. Waits
   * for the connection like any other user; all or nothing. Call after the Kysely instance made its first query.
   */
  async executeTransaction(queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
    if (!this.driver) throw new Error('the SQLite store is not open');
    return this.driver.executeTransaction(queries);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

const WORKER_URL = new URL('./sqlite-worker.js', import.meta.url);

class SqliteWorkerDriver implements Driver {
  private readonly mutex = new ConnectionMutex();
  private thread: DatabaseThread | undefined;

  constructor(private readonly options: SqliteWorkerOptions) {}

  async init(): Promise<void> {
    this.thread = await DatabaseThread.start(this.options);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // SQLite has one connection: one user at a time, as in Kysely's own driver.
    await this.mutex.lock();
    return this.connection();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.mutex.unlock();
  }

  async executeTransaction(queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
    await this.mutex.lock();
    try {
      const thread = this.thread;
      if (!thread) throw new Error('the SQLite store is closed');
      return await thread.executeTransaction(queries);
    } finally {
      this.mutex.unlock();
    }
  }

  async destroy(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    await thread?.close();
  }

  private connection(): DatabaseConnection {
    const thread = this.thread;
    if (!thread) throw new Error('the SQLite store is closed');
    return {
      executeQuery: <R>(query: CompiledQuery) => thread.execute<R>(query),
      streamQuery: <R>(query: CompiledQuery) => streamRows<R>(thread, query),
    };
  }
}

/** Kysely's streaming, row by row, over a query run whole (the store does not stream; this keeps the contract). */
async function* streamRows<R>(thread: DatabaseThread, query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
  const { rows } = await thread.execute<R>(query);
  for (const row of rows) yield { rows: [row] };
}

/**
 * The thread and its requests in flight. The thread keeps the process alive only while a request is
 * unanswered (like a socket with a request on it): a store nobody closed does not hold the process open,
 * and a commit in progress is never cut off by the process running out of work.
 */
class DatabaseThread {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  private ended: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      waiting.resolve(reply);
    });
    worker.on('error', (error) => this.end(new Error(`the SQLite store's database thread failed: ${error.message}`)));
    worker.on('exit', (code) => this.end(new Error(`the SQLite store's database thread ended (exit code ${code})`)));
  }

  static async start(options: SqliteWorkerOptions): Promise<DatabaseThread> {
    const worker = new Worker(WORKER_URL, { workerData: { file: options.file, busyTimeoutMs: options.busyTimeoutMs } });
    let onMessage!: (ready: Ready) => void;
    let onError!: (error: Error) => void;
    let onExit!: (code: number) => void;
    const ready = await new Promise<Ready>((resolve, reject) => {
      onMessage = resolve;
      onError = reject;
      onExit = (code) => reject(new Error(`the SQLite store's database thread ended before opening ${options.file} (exit code ${code})`));
      worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    }).finally(() => worker.off('message', onMessage).off('error', onError).off('exit', onExit));
    if (!ready.ready) {
      await worker.terminate();
      const cause = ready.error ?? { message: 'unknown error' };
      throw new SqliteWorkerError({ ...cause, message: `could not open the SQLite database ${options.file}: ${cause.message}` });
    }
    const thread = new DatabaseThread(worker);
    worker.unref();
    return thread;
  }

  async execute<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const reply = await this.request({ sql: query.sql, parameters: query.parameters });
    if (reply.error) throw new SqliteWorkerError(reply.error);
    return toQueryResult(reply) as QueryResult<R>;
  }

  async executeTransaction(queries: readonly CompiledQuery[]): Promise<QueryResult<unknown>[]> {
    const reply = await this.request({ batch: queries.map((query) => ({ sql: query.sql, parameters: query.parameters })) });
    if (reply.error) throw new SqliteWorkerError(reply.error);
    return (reply.results ?? []).map(toQueryResult);
  }

  async close(): Promise<void> {
    if (this.ended) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const reply = await this.request({ close: true });
    // Held open until the thread is gone: the caller may be the last thing the process waits for.
    this.worker.ref();
    await exited;
    if (reply.error) throw new SqliteWorkerError(reply.error);
  }

  private request(message: { sql?: string; parameters?: readonly unknown[]; batch?: Array<{ sql: string; parameters: readonly unknown[] }>; close?: boolean }): Promise<Reply> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, ...message });
    });
  }

  /** The thread is gone: everything waiting fails, and so does everything asked later. */
  private end(reason: Error): void {
    if (this.ended) return;
    this.ended = reason;
    for (const waiting of this.pending.values()) waiting.reject(reason);
    this.pending.clear();
  }
}

function toQueryResult(result: StatementResult): QueryResult<unknown> {
  if (result.rows) return { rows: result.rows.map(withBuffers) };
  return {
    rows: [],
    ...(result.changes !== undefined && result.changes !== null ? { numAffectedRows: BigInt(result.changes) } : {}),
    ...(result.lastInsertRowid !== undefined && result.lastInsertRowid !== null ? { insertId: BigInt(result.lastInsertRowid) } : {}),
  };
}

/** Blobs cross the thread boundary as plain Uint8Arrays; the store's callers get Buffers, as from better-sqlite3. */
function withBuffers(row: Record<string, unknown>): Record<string, unknown> {
  for (const key in row) {
    const value = row[key];
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return row;
}

class ConnectionMutex {
  private locked: Promise<void> | undefined;
  private release: (() => void) | undefined;

  async lock(): Promise<void> {
    while (this.locked) await this.locked;
    this.locked = new Promise<void>((resolve) => (this.release = resolve));
  }

  unlock(): void {
    const release = this.release;
    this.locked = undefined;
    this.release = undefined;
    release?.();
  }
}
