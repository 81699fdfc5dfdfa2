import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrateSchema } from '../../src/store/migrate-schema.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/migrations.js';
import type { KyselyStore } from '../../src/store/kysely-store.js';
import { SchemaTooNewError } from '../../src/store/store-errors.js';
import type { Store } from '../../src/store/store.js';
import { ENGINES } from './engines.js';
import type { EngineHandle } from './engines.js';

describe.each(ENGINES)('schema migrations on $name', (factory) => {
  let handle: EngineHandle | undefined;
  afterEach(async () => {
    await handle?.cleanup();
    handle = undefined;
  });

  function kysely(store: Store) {
    return (store as KyselyStore).db;
  }

  it.skipIf(factory.skip)('applies every migration once even when several instances start at once', async () => {
    handle = await factory.setup();
    const stores = await Promise.all([handle.open(), handle.open(), handle.open(), handle.open()]);
    const rows = await kysely(stores[0] as Store).selectFrom('ir_schema_migrations').select('version').execute();
    expect(rows.map((r) => Number(r.version))).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
    // a later start finds nothing to do
    expect(await migrateSchema(kysely(stores[1] as Store), factory.engine, handle.options.schema ? { schema: handle.options.schema } : {})).toEqual([]);
  });

  it.skipIf(factory.skip)('refuses a database whose schema is newer than the code', async () => {
    handle = await factory.setup();
    const store = await handle.open();
    await kysely(store)
      .insertInto('ir_schema_migrations')
      .values({ version: LATEST_SCHEMA_VERSION + 1, name: 'from the future', applied_at: Date.now() })
      .execute();
    const error = await handle.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(error).toMatchObject({ databaseVersion: LATEST_SCHEMA_VERSION + 1, codeVersion: LATEST_SCHEMA_VERSION });
    expect((error as Error).message).toMatch(/newer infra-review/);
    // nothing was dropped or rewritten
    const tables = await sql<{ n: number }>`select count(*) as n from ir_schema_migrations`.execute(kysely(store));
    expect(Number(tables.rows[0]?.n)).toBe(LATEST_SCHEMA_VERSION + 1);
  });

  it.skipIf(factory.skip)('applies a new migration on top and rolls back a failing one entirely', async () => {
    handle = await factory.setup();
    const store = await handle.open();
    const db = kysely(store);
    const options = handle.options.schema ? { schema: handle.options.schema } : {};
    const { MIGRATIONS } = await import('../../src/store/migrations.js');
    const next = LATEST_SCHEMA_VERSION + 1;
    const failing = [
      ...MIGRATIONS,
      {
        version: next,
        name: 'half done',
        async up(tx: typeof db) {
          await tx.schema.createTable('half_done').addColumn('x', 'integer').execute();
          throw new Error('boom');
        },
      },
    ];
    await expect(migrateSchema(db, factory.engine, { ...options, migrations: failing })).rejects.toThrow('boom');
    await expect(sql`select * from half_done`.execute(db)).rejects.toThrow();

    const working = [...MIGRATIONS, { version: next, name: 'add a table', up: (tx: typeof db) => tx.schema.createTable('extra').addColumn('x', 'integer').execute() }];
    expect(await migrateSchema(db, factory.engine, { ...options, migrations: working })).toEqual([next]);
    await expect(sql`select * from extra`.execute(db)).resolves.toBeDefined();
  });
});
