import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedPrepare } from '../../src/store/sqlite-worker.js';

describe('cachedPrepare (the database thread\'s statement cache)', () => {
  let dir: string;
  let database: BetterSqlite3.Database;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ir-statements-'));
    database = new BetterSqlite3(path.join(dir, 'test.sqlite'));
    database.exec('create table t (id integer primary key, v text)');
    for (const v of ['a', 'b', 'c']) database.prepare('insert into t (v) values (?)').run(v);
  });

  afterEach(async () => {
    if (database.open) database.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prepares each SQL text once and reuses the statement with new parameters', () => {
    const prepare = cachedPrepare(database);
    const first = prepare('select v from t where id = ?');
    const second = prepare('select v from t where id = ?');

    expect(second).toBe(first);
    expect(prepare('select count(*) as n from t')).not.toBe(first);
    expect(first.all([1])).toEqual([{ v: 'a' }]);
    expect(second.all([3])).toEqual([{ v: 'c' }]);
  });

  it('gives a statement that is being iterated a fresh copy instead of the busy one', () => {
    const prepare = cachedPrepare(database);
    const iterating = prepare('select v from t order by id');
    const rows = iterating.iterate([]);
    const first = rows.next();

    const meanwhile = prepare('select v from t order by id');

    expect(meanwhile).not.toBe(iterating);
    expect(meanwhile.all([])).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
    expect([first.value, ...rows]).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
    // Idle again: the cached one is handed out.
    expect(prepare('select v from t order by id')).toBe(iterating);
  });

  it('keeps at most `capacity` statements, dropping the least recently used', () => {
    const prepare = cachedPrepare(database, 2);
    const a = prepare('select 1');
    const b = prepare('select 2');
    expect(prepare('select 1')).toBe(a); // now the most recent
    prepare('select 3'); // evicts "select 2"

    expect(prepare('select 1')).toBe(a);
    expect(prepare('select 2')).not.toBe(b);
  });
});
