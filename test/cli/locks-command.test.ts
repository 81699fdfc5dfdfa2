import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { ENGINES } from '../store/engines.js';
import type { EngineHandle } from '../store/engines.js';
import { jsonLines, runCli, storeEnv } from './locks-cli-kit.js';

describe.each(ENGINES)('infra-review locks ($name)', (engine) => {
  let handle: EngineHandle;
  let store: Store;

  beforeAll(async () => {
    if (engine.skip) return;
    handle = await engine.setup();
    store = await handle.open();
    await store.acquireLock({ repo: 'acme/infra', project: 'prod', workspace: 'default', pr: 12, holder: 'alice' });
    await store.acquireLock({ repo: 'acme/infra', project: 'staging', workspace: 'blue', pr: 14, holder: 'bob' });
    await store.acquireLock({ repo: 'acme/network', project: 'core', workspace: 'default', pr: 12, holder: 'carol' });
  });

  afterAll(async () => {
    await handle?.cleanup();
  });

  it.skipIf(engine.skip)('prints every held lock as JSON lines with its holder and since', async () => {
    const run = await runCli(['locks', '--format', 'json'], storeEnv(handle));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const locks = jsonLines(run.stdout);
    expect(locks.map((l) => [l.repo, l.project, l.workspace, l.pr, l.holder])).toEqual(
      expect.arrayContaining([
        ['acme/infra', 'prod', 'default', 12, 'alice'],
        ['acme/infra', 'staging', 'blue', 14, 'bob'],
        ['acme/network', 'core', 'default', 12, 'carol'],
      ]),
    );
    expect(locks).toHaveLength(3);
    const stored = await store.getLock({ repo: 'acme/infra', project: 'prod', workspace: 'default' });
    expect(locks.find((l) => l.project === 'prod')?.since).toBe(stored?.since.toISOString());
  });

  it.skipIf(engine.skip)('filters by repository and by pull request', async () => {
    const byRepo = jsonLines((await runCli(['locks', '--repo', 'acme/infra', '--format', 'json'], storeEnv(handle))).stdout);
    expect(byRepo.map((l) => l.project).sort()).toEqual(['prod', 'staging']);
    const byPr = jsonLines((await runCli(['locks', '--pr', '12', '--format', 'json'], storeEnv(handle))).stdout);
    expect(byPr.map((l) => l.repo).sort()).toEqual(['acme/infra', 'acme/network']);
    const both = jsonLines((await runCli(['locks', '--repo', 'acme/infra', '--pr', '14', '--format', 'json'], storeEnv(handle))).stdout);
    expect(both.map((l) => l.project)).toEqual(['staging']);
  });

  it.skipIf(engine.skip)('prints a table by default, one row per lock', async () => {
    const run = await runCli(['locks', '--repo', 'acme/infra'], storeEnv(handle));
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REPO\s+PROJECT\s+WORKSPACE\s+PR\s+HOLDER\s+SINCE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 5))).toEqual(
      expect.arrayContaining([
        ['acme/infra', 'prod', 'default', '#12', 'alice'],
        ['acme/infra', 'staging', 'blue', '#14', 'bob'],
      ]),
    );
    expect(lines).toHaveLength(3);
  });

  it.skipIf(engine.skip)('says so when no lock matches', async () => {
    const table = await runCli(['locks', '--repo', 'acme/other'], storeEnv(handle));
    expect(table).toMatchObject({ code: 0, stdout: 'no locks held\n' });
    const json = await runCli(['locks', '--repo', 'acme/other', '--format', 'json'], storeEnv(handle));
    expect(json).toMatchObject({ code: 0, stdout: '' });
  });
});

describe('infra-review locks: bad input and unreachable stores', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'ir-cli-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    [['locks', '--repo', 'not-a-repo'], /--repo "not-a-repo": expected OWNER\/NAME/],
    [['locks', '--pr', '0'], /--pr "0": expected a positive whole number/],
    [['locks', '--pr', '12abc'], /--pr "12abc": expected a positive whole number/],
    [['locks', '--format', 'yaml'], /--format "yaml": expected table or json/],
  ])('exits 2 on %j naming the option', async (args, message) => {
    const run = await runCli(args, { DATA_DIR: dataDir, DATABASE_URL: undefined });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('exits 1 without creating a database when DATA_DIR holds none', async () => {
    const empty = path.join(dataDir, 'nothing-here');
    const run = await runCli(['locks'], { DATA_DIR: empty, DATABASE_URL: undefined });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot open the store (SQLite in ${empty})`);
    expect(run.stderr).toContain('does not exist');
  });

  it('exits 1 with the connection error when PostgreSQL does not answer, without the password', async () => {
    // Nothing listens on port 1.
    const run = await runCli(['locks'], { DATABASE_URL: 'postgres://ops:s3cret-pw@127.0.0.1:1/infra', DATA_DIR: undefined });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot open the store (PostgreSQL at 127.0.0.1:1/infra)');
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expect(run.stderr).not.toContain('s3cret-pw');
  });
});
