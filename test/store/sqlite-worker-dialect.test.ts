import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import type { Generated } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteWorkerDialect, SqliteWorkerError } from '../../src/store/sqlite-worker-dialect.js';

interface Tables {
  t: { id: Generated<number>; v: string; data: Buffer | null };
}

describe('SqliteWorkerDialect (better-sqlite3 in a thread of its own)', () => {
  let dir: string;
  let file: string;
  const opened: Kysely<Tables>[] = [];

  const open = (busyTimeoutMs = 5_000) => {
    const db = new Kysely<Tables>({ dialect: new SqliteWorkerDialect({ file, busyTimeoutMs }) });
    opened.push(db);
    return db;
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ir-sqlite-worker-'));
    file = path.join(dir, 'test.sqlite');
    const setup = new BetterSqlite3(file);
    setup.pragma('journal_mode = WAL');
    setup.exec('create table t (id integer primary key, v text not null unique, data blob)');
    setup.close();
  });

  afterEach(async () => {
    for (const db of opened.splice(0)) await db.destroy().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('runs queries, transactions and rollbacks like Kysely\'s own SQLite dialect', async () => {
    const db = open();
    const inserted = await db.insertInto('t').values({ v: 'a', data: null }).executeTakeFirstOrThrow();
    expect(inserted.insertId).toBe(1n);
    expect(inserted.numInsertedOrUpdatedRows).toBe(1n);

    await db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ v: 'b', data: null }).execute();
      await trx.updateTable('t').set({ v: 'a2' }).where('v', '=', 'a').execute();
    });
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ v: 'c', data: null }).execute();
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');

    expect(await db.selectFrom('t').select(['id', 'v']).orderBy('id').execute()).toEqual([
      { id: 1, v: 'a2' },
      { id: 2, v: 'b' },
    ]);
  });

  it('runs a transaction in one message: results in order, and all or nothing', async () => {
    const dialect = new SqliteWorkerDialect({ file, busyTimeoutMs: 5_000 });
    const db = new Kysely<Tables>({ dialect });
    opened.push(db);
    await db.insertInto('t').values({ v: 'taken', data: null }).execute();

    const results = await dialect.executeTransaction([
      db.insertInto('t').values({ v: 'a', data: null }).returning(['id', 'v']).compile(),
      db.updateTable('t').set({ v: 'taken2' }).where('v', '=', 'taken').compile(),
      db.selectFrom('t').select('v').orderBy('id').compile(),
    ]);
    expect(results).toEqual([{ rows: [{ id: 2, v: 'a' }] }, { rows: [], numAffectedRows: 1n, insertId: 2n }, { rows: [{ v: 'taken2' }, { v: 'a' }] }]);

    await expect(
      dialect.executeTransaction([db.insertInto('t').values({ v: 'b', data: null }).compile(), db.insertInto('t').values({ v: 'a', data: null }).compile()]),
    ).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    // The first insert went with the failed one.
    expect((await db.selectFrom('t').select('v').orderBy('id').execute()).map((row) => row.v)).toEqual(['taken2', 'a']);
  });

  it('returns blobs as Buffers and binds Buffers as blobs', async () => {
    const db = open();
    const data = Buffer.from([0, 1, 2, 254, 255]);
    await db.insertInto('t').values({ v: 'blob', data }).execute();
    const row = await db.selectFrom('t').select('data').where('v', '=', 'blob').executeTakeFirstOrThrow();
    expect(Buffer.isBuffer(row.data)).toBe(true);
    expect(row.data).toEqual(data);
    const [{ kind }] = (await sql<{ kind: string }>`select typeof(data) as kind from t where v = 'blob'`.execute(db)).rows as [{ kind: string }];
    expect(kind).toBe('blob');
  });

  it('rejects with the database\'s own error and code, and goes on serving', async () => {
    const db = open();
    await db.insertInto('t').values({ v: 'same', data: null }).execute();
    const error = await db.insertInto('t').values({ v: 'same', data: null }).execute().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SqliteWorkerError);
    expect((error as SqliteWorkerError).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect((error as Error).message).toMatch(/UNIQUE constraint failed: t\.v/);
    await expect(sql`select nonsense from nowhere`.execute(db)).rejects.toThrow(/no such table: nowhere/);
    expect(await db.selectFrom('t').select('v').execute()).toEqual([{ v: 'same' }]);
  });

  it('keeps the event loop running while a statement waits for another connection\'s write lock', async () => {
    const db = open();
    await sql`select 1`.execute(db); // the thread is up
    const other = new BetterSqlite3(file);
    other.exec('begin immediate');
    try {
      let written = false;
      const write = db
        .insertInto('t')
        .values({ v: 'waited', data: null })
        .execute()
        .then(() => (written = true));
      // On the event loop, better-sqlite3 would block here until the lock is free: no timer could fire.
      const ticks = await countTimerTicks(200);
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(written).toBe(false);
      other.exec('commit');
      await write;
      expect(written).toBe(true);
    } finally {
      if (other.inTransaction) other.exec('rollback');
      other.close();
    }
  });

  it('fails a statement with SQLITE_BUSY once the busy timeout passes', async () => {
    const db = open(150);
    await sql`select 1`.execute(db);
    const other = new BetterSqlite3(file);
    other.exec('begin immediate');
    try {
      const error = await db.insertInto('t').values({ v: 'late', data: null }).execute().catch((caught: unknown) => caught);
      expect((error as SqliteWorkerError).code).toBe('SQLITE_BUSY');
    } finally {
      other.exec('rollback');
      other.close();
    }
  });

  it('waits, up to the busy timeout, for a lock held while it switches a new database to WAL', async () => {
    // A new database in the default (rollback journal) mode, write-locked by another connection, as when
    // two processes open the same new file at once: SQLite answers the WAL switch with SQLITE_BUSY at once.
    const fresh = path.join(dir, 'fresh.sqlite');
    const other = new BetterSqlite3(fresh);
    other.exec('create table x (a)');
    other.exec('begin immediate');
    try {
      const db = new Kysely<Tables>({ dialect: new SqliteWorkerDialect({ file: fresh, busyTimeoutMs: 5_000 }) });
      opened.push(db);
      const opening = sql<{ journal_mode: string }>`pragma journal_mode`.execute(db);
      await new Promise((resolve) => setTimeout(resolve, 200));
      other.exec('commit');
      expect((await opening).rows).toEqual([{ journal_mode: 'wal' }]);
    } finally {
      if (other.inTransaction) other.exec('rollback');
      other.close();
    }
  });

  it('says clearly that it cannot open the database', async () => {
    const missing = path.join(dir, 'missing-folder', 'x.sqlite');
    const db = new Kysely<Tables>({ dialect: new SqliteWorkerDialect({ file: missing, busyTimeoutMs: 100 }) });
    opened.push(db);
    await expect(sql`select 1`.execute(db)).rejects.toThrow(`could not open the SQLite database ${missing}: Cannot open database because the directory does not exist`);
  });

  it('refuses queries once destroyed', async () => {
    const db = open();
    await sql`select 1`.execute(db);
    await db.destroy();
    await expect(sql`select 1`.execute(db)).rejects.toThrow('driver has already been destroyed');
  });

  it('does not hold the process open when nobody closes it, and finishes a write it was given', async () => {
    const script = path.join(dir, 'unclosed.mjs');
    const dialect = path.join(repoRoot, 'lib/store/sqlite-worker-dialect.js');
    if (!existsSync(dialect)) throw new Error('lib/ is missing: run `npm run build` first (npm test does)');
    await writeFile(
      script,
      [
        `import { Kysely } from ${JSON.stringify(path.join(repoRoot, 'node_modules/kysely/dist/esm/index.js'))};`,
        `import { SqliteWorkerDialect } from ${JSON.stringify(pathToFileURL(dialect).href)};`,
        `const db = new Kysely({ dialect: new SqliteWorkerDialect({ file: ${JSON.stringify(file)}, busyTimeoutMs: 1000 }) });`,
        // Not awaited, never closed: the process must still write the row, then end on its own.
        `void db.insertInto('t').values({ v: 'from-child', data: null }).execute();`,
      ].join('\n'),
    );
    const started = Date.now();
    await promisify(execFile)(process.execPath, [script], { cwd: repoRoot, timeout: 20_000 });
    expect(Date.now() - started).toBeLessThan(20_000);
    const check = new BetterSqlite3(file, { readonly: true });
    try {
      expect(check.prepare('select v from t').all()).toEqual([{ v: 'from-child' }]);
    } finally {
      check.close();
    }
  });
});

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** How many 10 ms timers fire in `ms` (a blocked event loop fires none until it is free). */
function countTimerTicks(ms: number): Promise<number> {
  return new Promise((resolve) => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    setTimeout(() => {
      clearInterval(timer);
      resolve(ticks);
    }, ms);
  });
}
