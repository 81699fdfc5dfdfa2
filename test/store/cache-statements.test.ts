import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheStatements } from '../../src/store/cache-statements.js';

describe('cacheStatements', () => {
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
    const cached = cacheStatements(database);
    const first = cached.prepare('select v from t where id = ?');
    const second = cached.prepare('select v from t where id = ?');

    expect(second).toBe(first);
    expect(cached.prepare('select count(*) as n from t')).not.toBe(first);
    expect(first.all([1])).toEqual([{ v: 'a' }]);
    expect(second.all([3])).toEqual([{ v: 'c' }]);
  });

  it('gives a statement that is being iterated a fresh copy instead of the busy one', () => {
    const cached = cacheStatements(database);
    const iterating = cached.prepare('select v from t order by id');
    const rows = iterating.iterate([]);
    const first = rows.next();

    const meanwhile = cached.prepare('select v from t order by id');

    expect(meanwhile).not.toBe(iterating);
    expect(meanwhile.all([])).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
    expect([first.value, ...rows]).toEqual([{ v: 'a' }, { v: 'b' }, { v: 'c' }]);
    // Idle again: the cached one is handed out.
    expect(cached.prepare('select v from t order by id')).toBe(iterating);
  });

  it('keeps at most `capacity` statements, dropping the least recently used', () => {
    const cached = cacheStatements(database, 2);
    const a = cached.prepare('select 1');
    const b = cached.prepare('select 2');
    expect(cached.prepare('select 1')).toBe(a); // now the most recent
    cached.prepare('select 3'); // evicts "select 2"

    expect(cached.prepare('select 1')).toBe(a);
    expect(cached.prepare('select 2')).not.toBe(b);
  });

  it('closes the database', () => {
    cacheStatements(database).close();
    expect(database.open).toBe(false);
  });
});
