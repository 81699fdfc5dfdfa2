import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { ENGINES } from '../store/engines.js';
import type { EngineHandle } from '../store/engines.js';
import { jsonLines, runCli, storeEnv } from './locks-cli-kit.js';

describe.each(ENGINES)('infra-review audit ($name)', (engine) => {
  let handle: EngineHandle;
  let store: Store;

  beforeAll(async () => {
    if (engine.skip) return;
    handle = await engine.setup();
    store = await handle.open();
    // 60 events on PR 7 (more than the default limit), one on PR 8, one on another repository.
    for (let i = 1; i <= 60; i++) {
      await store.audit({ repo: 'acme/infra', pr: 7, actor: 'alice', action: 'command:/plan', reason: `event ${i}` });
    }
    await store.audit({
      repo: 'acme/infra',
      pr: 8,
      actor: 'infra-review',
      action: 'decision:apply-refused',
      project: 'prod',
      workspace: 'blue',
      reason: 'missing approval from @acme/sre',
      details: { comment: 99 },
    });
    await store.audit({ repo: 'acme/other', pr: 7, actor: 'mallory', action: 'command:/apply', reason: 'elsewhere' });
  });

  afterAll(async () => {
    await handle?.cleanup();
  });

  it.skipIf(engine.skip)('prints the newest 50 events of the repository by default, oldest first', async () => {
    const run = await runCli(['audit', '--repo', 'acme/infra', '--format', 'json'], storeEnv(handle));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const events = jsonLines(run.stdout);
    expect(events).toHaveLength(50);
    expect(events.at(-1)).toMatchObject({
      repo: 'acme/infra',
      pr: 8,
      actor: 'infra-review',
      action: 'decision:apply-refused',
      project: 'prod',
      workspace: 'blue',
      reason: 'missing approval from @acme/sre',
      details: { comment: 99 },
    });
    // The 49 before it are PR 7's newest: events 12..60.
    expect(events.slice(0, -1).map((e) => e.reason)).toEqual(Array.from({ length: 49 }, (_, i) => `event ${i + 12}`));
    expect(events.every((e) => e.repo === 'acme/infra')).toBe(true);
    expect(typeof events[0]?.at).toBe('string');
    expect(Number.isNaN(Date.parse(events[0]?.at as string))).toBe(false);
  });

  it.skipIf(engine.skip)('narrows to one pull request and honours --limit', async () => {
    const run = await runCli(['audit', '--repo', 'acme/infra', '--pr', '7', '--limit', '3', '--format', 'json'], storeEnv(handle));
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout).map((e) => [e.pr, e.reason])).toEqual([
      [7, 'event 58'],
      [7, 'event 59'],
      [7, 'event 60'],
    ]);
  });

  it.skipIf(engine.skip)('prints a table with actor, action, project and reason', async () => {
    const run = await runCli(['audit', '--repo', 'acme/infra', '--pr', '8'], storeEnv(handle));
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AT\s+PR\s+ACTOR\s+ACTION\s+PROJECT\s+REASON$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\S+Z\s+#8\s+infra-review\s+decision:apply-refused\s+prod \(blue\)\s+missing approval from @acme\/sre$/);
  });

  it.skipIf(engine.skip)('says so when there is nothing to show', async () => {
    expect(await runCli(['audit', '--repo', 'acme/infra', '--pr', '999'], storeEnv(handle))).toMatchObject({ code: 0, stdout: 'no audit events\n' });
  });

  it.skipIf(engine.skip)('exits 2 on a missing --repo or a bad --limit', async () => {
    const noRepo = await runCli(['audit'], storeEnv(handle));
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toContain('--repo OWNER/NAME is required');
    const badLimit = await runCli(['audit', '--repo', 'acme/infra', '--limit', '-1'], storeEnv(handle));
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit "-1": expected a positive whole number');
  });
});
