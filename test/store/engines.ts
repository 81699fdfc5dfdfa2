import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.js';
import type { OpenStoreOptions } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

/**
 * Engine factories for the shared suites. Each `setup()` makes an isolated place (a temporary DATA_DIR, or
 * a fresh PostgreSQL schema `ir_test_<pid>_<random>`) and returns `open()` to get store instances on it
 * (several instances on one place play several replicas) and `cleanup()` to drop it.
 */
export interface EngineHandle {
  options: OpenStoreOptions;
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

export interface EngineFactory {
  name: string;
  engine: 'sqlite' | 'postgres';
  skip: boolean;
  setup(): Promise<EngineHandle>;
}

export const DATABASE_URL = process.env.DATABASE_URL?.trim() || undefined;

export function testSchemaName(): string {
  return `ir_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

export const sqliteEngine: EngineFactory = {
  name: 'sqlite',
  engine: 'sqlite',
  skip: false,
  async setup() {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ir-store-'));
    const stores: Store[] = [];
    return {
      options: { dataDir },
      async open() {
        const store = await openStore({ dataDir });
        stores.push(store);
        return store;
      },
      async cleanup() {
        for (const store of stores) await store.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresEngine: EngineFactory = {
  name: DATABASE_URL ? 'postgres' : 'postgres (skipped: DATABASE_URL is not set)',
  engine: 'postgres',
  skip: !DATABASE_URL,
  async setup() {
    const databaseUrl = DATABASE_URL as string;
    const schema = testSchemaName();
    const stores: Store[] = [];
    return {
      options: { databaseUrl, schema },
      async open() {
        const store = await openStore({ databaseUrl, schema });
        stores.push(store);
        return store;
      },
      async cleanup() {
        for (const store of stores) await store.close();
        await dropSchema(databaseUrl, schema);
      },
    };
  },
};

export const ENGINES: EngineFactory[] = [sqliteEngine, postgresEngine];
