import type { Database as BetterSqlite3Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Distinct SQL texts kept prepared; the store issues a few dozen shapes, so this is never reached in practice. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 as Kysely's SQLite database, with each distinct SQL text prepared once. Kysely prepares
 * every query it runs anew, and better-sqlite3 runs on the event loop: a webhook that enqueues a job
 * would otherwise spend as long compiling its statements as running them. Statements are reused only
 * when idle (one being iterated gets a fresh, uncached one); the least recently used go beyond the limit.
 */
export function cacheStatements(database: BetterSqlite3Database, capacity = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const cache = new Map<string, Statement>();
  return {
    prepare(sql: string): Statement {
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
      if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
      return statement;
    },
    close(): void {
      cache.clear();
      database.close();
    },
  };
}
