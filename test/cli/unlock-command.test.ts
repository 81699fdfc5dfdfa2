import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { ENGINES } from '../store/engines.js';
import type { EngineHandle } from '../store/engines.js';
import { runCli, storeEnv } from './locks-cli-kit.js';

describe.each(ENGINES)('infra-review unlock ($name)', (engine) => {
  let handle: EngineHandle;
  let store: Store;

  beforeAll(async () => {
    if (engine.skip) return;
    handle = await engine.setup();
    store = await handle.open();
  });

  afterAll(async () => {
    await handle?.cleanup();
  });

  it.skipIf(engine.skip)('releases a lock held by any PR and records who forced it', async () => {
    await store.acquireLock({ repo: 'acme/infra', project: 'prod', workspace: 'default', pr: 12, holder: 'alice' });
    await store.acquireLock({ repo: 'acme/infra', project: 'prod', workspace: 'blue', pr: 13, holder: 'bob' });

    const run = await runCli(['unlock', '--repo', 'acme/infra', '--project', 'prod', '--actor', 'oncall-olga'], storeEnv(handle));

    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe('released the lock on acme/infra prod held by #12 (alice)\n');
    expect(await store.getLock({ repo: 'acme/infra', project: 'prod', workspace: 'default' })).toBeUndefined();
    // Only the named workspace: the other one stays locked.
    expect(await store.getLock({ repo: 'acme/infra', project: 'prod', workspace: 'blue' })).toMatchObject({ pr: 13 });
    const [event] = (await store.listAudit({ repo: 'acme/infra', pr: 12 })).filter((e) => e.action === 'lock:force-released');
    expect(event).toMatchObject({ actor: 'oncall-olga', project: 'prod', workspace: 'default', details: { heldByPr: 12, holder: 'alice' } });
    expect(event?.reason).toContain('held by #12 (alice)');
    // The lock is free again for another PR.
    expect(await store.acquireLock({ repo: 'acme/infra', project: 'prod', workspace: 'default', pr: 20, holder: 'dave' })).toMatchObject({ acquired: true });
  });

  it.skipIf(engine.skip)('takes the workspace and defaults the actor to $USER', async () => {
    const run = await runCli(['unlock', '--repo', 'acme/infra', '--project', 'prod', '--workspace', 'blue'], { ...storeEnv(handle), USER: 'shell-user' });
    expect(run.code).toBe(0);
    expect(await store.getLock({ repo: 'acme/infra', project: 'prod', workspace: 'blue' })).toBeUndefined();
    const events = (await store.listAudit({ repo: 'acme/infra', pr: 13 })).filter((e) => e.action === 'lock:force-released');
    expect(events.map((e) => [e.actor, e.workspace])).toEqual([['shell-user', 'blue']]);
  });

  it.skipIf(engine.skip)('reports a lock that is not held without auditing anything', async () => {
    const before = (await store.listAudit({ repo: 'acme/infra' })).length;
    const run = await runCli(['unlock', '--repo', 'acme/infra', '--project', 'nope', '--actor', 'olga'], storeEnv(handle));
    expect(run).toMatchObject({ code: 0, stdout: 'no lock held on acme/infra nope\n' });
    expect(await store.listAudit({ repo: 'acme/infra' })).toHaveLength(before);
  });

  it.skipIf(engine.skip)('exits 2 without touching the lock when an input is missing or no actor is known', async () => {
    await store.acquireLock({ repo: 'acme/infra', project: 'dns', workspace: 'default', pr: 30, holder: 'erin' });
    const noProject = await runCli(['unlock', '--repo', 'acme/infra', '--actor', 'olga'], storeEnv(handle));
    expect(noProject.code).toBe(2);
    expect(noProject.stderr).toContain('--project NAME is required');
    const noActor = await runCli(['unlock', '--repo', 'acme/infra', '--project', 'dns'], { ...storeEnv(handle), USER: undefined });
    expect(noActor.code).toBe(2);
    expect(noActor.stderr).toContain('--actor LOGIN');
    const badRepo = await runCli(['unlock', '--repo', 'acme', '--project', 'dns', '--actor', 'olga'], storeEnv(handle));
    expect(badRepo.code).toBe(2);
    expect(await store.getLock({ repo: 'acme/infra', project: 'dns', workspace: 'default' })).toMatchObject({ pr: 30 });
  });
});
