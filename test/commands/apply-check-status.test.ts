import { describe, expect, it } from 'vitest';
import { appliedAtHead, applyCheckStatus, type ApplyHistoryEntry } from '../../src/commands/apply-check-status.js';

const HEAD = 'a'.repeat(40);
const OLD = 'c'.repeat(40);
const BASE = 'b'.repeat(40);
const planned = [
  { name: 'envs/prod', status: 'planned', hasChanges: true },
  { name: 'envs/staging', status: 'planned', hasChanges: true },
  { name: 'envs/dev', status: 'planned', hasChanges: false },
] as const;
const autoplanOff = (name: string) => ({ name, status: 'skipped', skippedReason: `autoplan is off for this project; comment \`/plan -p ${name}\`` }) as const;

let nextId = 1;
function entry(fields: Partial<ApplyHistoryEntry> & Pick<ApplyHistoryEntry, 'project'>): ApplyHistoryEntry {
  return { id: nextId++, kind: 'apply', sha: HEAD, outcome: 'succeeded', rollbackOf: null, ...fields };
}
/** The store lists newest first: the last argument is the newest. */
const newestFirst = (...entries: ApplyHistoryEntry[]) => [...entries].reverse();

describe('applyCheckStatus (what a Re-run of infra-review/apply republishes)', () => {
  it('waits for a plan when the head has none, and says what to do', () => {
    const status = applyCheckStatus({ headSha: HEAD, planned: undefined, history: [] });
    expect(status).toMatchObject({ status: 'queued', title: 'Waiting for a plan' });
    expect(status.summary).toContain('`/plan`');
    expect(status.summary).toContain('never applies');
  });

  it('succeeds when no project has changes, as the plan job publishes it', () => {
    expect(applyCheckStatus({ headSha: HEAD, planned: [{ name: 'envs/dev', status: 'planned', hasChanges: false }], history: [] })).toEqual({
      status: 'completed',
      conclusion: 'success',
      title: 'Nothing to apply',
      summary: 'No project of this PR has changes to apply.',
    });
  });

  it('waits for /apply while projects with changes are not applied at this head, naming them', () => {
    const status = applyCheckStatus({ headSha: HEAD, planned, history: newestFirst(entry({ project: 'envs/prod' })) });
    expect(status).toMatchObject({ status: 'queued', title: 'Waiting for /apply' });
    expect(status.summary).toContain('Still to apply: `envs/staging`.');
    expect(status.summary).toContain('Applied from aaaaaaa: `envs/prod`.');
    expect(status.summary).toContain('Comment `/apply` once approved');
  });

  it('succeeds only when every project with changes is applied at this head', () => {
    const history = newestFirst(entry({ project: 'envs/prod' }), entry({ project: 'envs/staging' }));
    expect(applyCheckStatus({ headSha: HEAD, planned, history })).toMatchObject({ status: 'completed', conclusion: 'success', title: 'Applied' });
    // Applied from an older head does not count for this one.
    const older = newestFirst(entry({ project: 'envs/prod', sha: OLD }), entry({ project: 'envs/staging' }));
    expect(applyCheckStatus({ headSha: HEAD, planned, history: older })).toMatchObject({ status: 'queued', title: 'Waiting for /apply' });
  });

  it('fails while the latest apply of this head failed or was cut short, and never suggests it will apply', () => {
    for (const outcome of ['failed', 'interrupted', 'running'] as const) {
      const status = applyCheckStatus({ headSha: HEAD, planned, history: newestFirst(entry({ project: 'envs/prod' }), entry({ project: 'envs/staging', outcome })) });
      expect(status).toMatchObject({ status: 'completed', conclusion: 'failure', title: 'Apply failed' });
      expect(status.summary).toContain(outcome === 'failed' ? '`envs/staging`: the apply of aaaaaaa failed.' : '`envs/staging`: the apply of aaaaaaa was interrupted; its outcome is unknown.');
      expect(status.summary).toContain('comment `/plan` (an apply spends its plan), then `/apply` to apply again');
      expect(status.summary).toContain('it never applies anything');
    }
  });

  it('does not hold a failed apply of an older head against this head', () => {
    const history = newestFirst(entry({ project: 'envs/prod', sha: OLD, outcome: 'failed' }));
    expect(applyCheckStatus({ headSha: HEAD, planned, history })).toMatchObject({ status: 'queued', title: 'Waiting for /apply' });
  });

  it('fails on a failed or interrupted rollback, whatever head it was on', () => {
    const apply = entry({ project: 'envs/prod', sha: OLD });
    const failed = applyCheckStatus({ headSha: HEAD, planned, history: newestFirst(apply, entry({ project: 'envs/prod', kind: 'rollback', sha: BASE, outcome: 'failed', rollbackOf: apply.id })) });
    expect(failed).toMatchObject({ status: 'completed', conclusion: 'failure', title: 'Rollback failed' });
    expect(failed.summary).toContain('the rollback to bbbbbbb failed');
  });

  it('waits again after a successful rollback, but keeps failing when it undid a failed apply of this head', () => {
    const applied = entry({ project: 'envs/prod', planId: 10 });
    // Planned again at this head after the rollback (plan 30 is newer than the rollback's plan 20).
    const replanned = planned.map((project) => ({ ...project, planId: 30 }));
    const rolledBack = applyCheckStatus({ headSha: HEAD, planned: replanned, history: newestFirst(applied, entry({ project: 'envs/prod', kind: 'rollback', sha: BASE, rollbackOf: applied.id, planId: 20 })) });
    expect(rolledBack).toMatchObject({ status: 'queued', title: 'Rolled back: waiting for /apply' });
    expect(rolledBack.summary).toContain("`envs/prod`: rolled back to bbbbbbb, so this PR's change to it is no longer live; planned again at aaaaaaa since.");
    expect(rolledBack.summary).toContain('Still to apply: `envs/prod`, `envs/staging`.');
    expect(rolledBack.summary).toContain('Comment `/apply` once approved');

    const failedApply = entry({ project: 'envs/prod', outcome: 'failed' });
    const undone = applyCheckStatus({ headSha: HEAD, planned, history: newestFirst(failedApply, entry({ project: 'envs/prod', kind: 'rollback', sha: BASE, rollbackOf: failedApply.id })) });
    expect(undone).toMatchObject({ status: 'completed', conclusion: 'failure', title: 'Apply failed' });
    expect(undone.summary).toContain('the apply of aaaaaaa failed and was rolled back to bbbbbbb');
  });
});

describe('applyCheckStatus: a rolled-back project', () => {
  const prodOnly = (fields: { hasChanges: boolean; planId?: number }) => [{ name: 'envs/prod', status: 'planned' as const, ...fields }];
  const appliedThenRolledBack = () => {
    const applied = entry({ project: 'envs/prod', planId: 10 });
    return newestFirst(applied, entry({ project: 'envs/prod', kind: 'rollback', sha: BASE, rollbackOf: applied.id, planId: 20 }));
  };

  it('waits for `/plan -p` (not `/apply`) when the head was planned before the rollback: that plan describes the replaced state', () => {
    for (const planId of [10, undefined]) {
      const status = applyCheckStatus({ headSha: HEAD, planned: prodOnly({ hasChanges: true, ...(planId !== undefined ? { planId } : {}) }), history: appliedThenRolledBack() });
      expect(status).toMatchObject({ status: 'queued', title: 'Rolled back: waiting for /plan' });
      expect(status.summary).toContain("`envs/prod`: rolled back to bbbbbbb, so this PR's change to it is no longer live. Its plan of aaaaaaa was made before the rollback: comment `/plan -p envs/prod`, then `/apply` once approved.");
      expect(status.summary).not.toContain('Still to apply');
      expect(status.summary).toMatch(/pending .*does not accept/);
    }
  });

  it('never passes on a plan made before the rollback that counted no changes (made after an apply of an earlier head)', () => {
    const status = applyCheckStatus({ headSha: HEAD, planned: prodOnly({ hasChanges: false, planId: 5 }), history: appliedThenRolledBack() });
    expect(status).toMatchObject({ status: 'queued', title: 'Rolled back: waiting for /plan' });
    expect(status.summary).toContain('`/plan -p envs/prod`');
  });

  it('passes when the plan made after the rollback has no changes (the head matches what was restored)', () => {
    expect(applyCheckStatus({ headSha: HEAD, planned: prodOnly({ hasChanges: false, planId: 30 }), history: appliedThenRolledBack() })).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      title: 'Nothing to apply',
    });
  });

  it('fails on a failed rollback also when the head plan of the project has no changes', () => {
    const applied = entry({ project: 'envs/prod', sha: OLD });
    const status = applyCheckStatus({ headSha: HEAD, planned: prodOnly({ hasChanges: false, planId: 30 }), history: newestFirst(applied, entry({ project: 'envs/prod', kind: 'rollback', sha: BASE, outcome: 'failed', rollbackOf: applied.id })) });
    expect(status).toMatchObject({ status: 'completed', conclusion: 'failure', title: 'Rollback failed' });
  });

  it('is counted applied again once applied from the head after the rollback', () => {
    const history = [entry({ project: 'envs/prod', planId: 30 }), ...appliedThenRolledBack()];
    expect(applyCheckStatus({ headSha: HEAD, planned: prodOnly({ hasChanges: true, planId: 30 }), history })).toMatchObject({ status: 'completed', conclusion: 'success', title: 'Applied' });
  });

  it('names rolled-back projects next to those waiting for `/plan -p` because autoplan is off', () => {
    const status = applyCheckStatus({ headSha: HEAD, planned: [...prodOnly({ hasChanges: true, planId: 10 }), autoplanOff('envs/manual')], history: appliedThenRolledBack() });
    expect(status).toMatchObject({ status: 'queued', title: 'Waiting for /plan' });
    expect(status.summary).toContain('`/plan -p envs/prod`');
    expect(status.summary).toContain('`/plan -p envs/manual`');
  });
});

describe('applyCheckStatus: an affected project not planned at this head never lets the check pass', () => {
  it('waits (queued, which branch protection does not accept) for `/plan -p` of a project skipped because autoplan is off', () => {
    const status = applyCheckStatus({ headSha: HEAD, planned: [autoplanOff('prod')], history: [] });
    expect(status).toMatchObject({ status: 'queued', title: 'Waiting for /plan' });
    expect(status.summary).toContain('`prod`');
    expect(status.summary).toContain('`/plan -p prod`');
    expect(status.summary).toContain('autoplan is off');
    expect(status.summary).toMatch(/pending .*does not accept/);
  });

  it('keeps waiting for the unplanned project after every planned project with changes is applied', () => {
    const status = applyCheckStatus({ headSha: HEAD, planned: [...planned, autoplanOff('envs/manual')], history: newestFirst(entry({ project: 'envs/prod' }), entry({ project: 'envs/staging' })) });
    expect(status).toMatchObject({ status: 'queued', title: 'Waiting for /plan' });
    expect(status.summary).toContain('`/plan -p envs/manual`');
    expect(status.summary).toContain('Applied from aaaaaaa: `envs/prod`, `envs/staging`.');
  });

  it('names both what waits for /apply and what waits for /plan', () => {
    const status = applyCheckStatus({ headSha: HEAD, planned: [...planned, autoplanOff('envs/manual')], history: [] });
    expect(status).toMatchObject({ status: 'queued', title: 'Waiting for /plan and /apply' });
    expect(status.summary).toContain('Still to apply: `envs/prod`, `envs/staging`.');
    expect(status.summary).toContain('`/plan -p envs/manual`');
  });

  it('fails while a project failed to plan at this head, even when nothing else has changes', () => {
    const status = applyCheckStatus({ headSha: HEAD, planned: [{ name: 'envs/dev', status: 'planned', hasChanges: false }, { name: 'envs/broken', status: 'failed' }], history: [] });
    expect(status).toMatchObject({ status: 'completed', conclusion: 'failure', title: 'Plan failed' });
    expect(status.summary).toContain('`envs/broken`: the plan of aaaaaaa failed');
    expect(status.summary).toContain('`/plan -p envs/broken`');
  });

  it('reports a failed apply before a failed plan, and lists both', () => {
    const status = applyCheckStatus({ headSha: HEAD, planned: [...planned, { name: 'envs/broken', status: 'failed' }], history: newestFirst(entry({ project: 'envs/prod', outcome: 'failed' })) });
    expect(status).toMatchObject({ status: 'completed', conclusion: 'failure', title: 'Apply failed' });
    expect(status.summary).toContain('`envs/prod`: the apply of aaaaaaa failed.');
    expect(status.summary).toContain('`envs/broken`: the plan of aaaaaaa failed');
  });

  it('passes once the skipped project is planned (no changes) at this head', () => {
    expect(applyCheckStatus({ headSha: HEAD, planned: [{ name: 'prod', status: 'planned', hasChanges: false }], history: [] })).toMatchObject({ status: 'completed', conclusion: 'success', title: 'Nothing to apply' });
  });
});

describe('applyCheckStatus: a plan the tool refused as stale waits for /plan, and is not a failure', () => {
  // The head's plans of prod and staging are plans 10 and 11.
  const withPlans = [
    { name: 'envs/prod', status: 'planned', hasChanges: true, planId: 10 },
    { name: 'envs/staging', status: 'planned', hasChanges: true, planId: 11 },
  ] as const;

  it('pending, not failed: says nothing was applied and to plan again, until the project is planned again', () => {
    const history = newestFirst(entry({ project: 'envs/staging', planId: 11 }), entry({ project: 'envs/prod', planId: 10, outcome: 'stale' }));
    const status = applyCheckStatus({ headSha: HEAD, planned: withPlans, history });
    expect(status).toMatchObject({ status: 'queued', title: 'Saved plan is stale: waiting for /plan' });
    expect(status.summary).toContain('- `envs/prod`: its saved plan of aaaaaaa was stale when applied');
    expect(status.summary).toContain('so nothing was applied. Comment `/plan -p envs/prod`, then `/apply` once approved.');
    expect(status.summary).toContain('Applied from aaaaaaa: `envs/staging`.');
    expect(status.summary).toMatch(/pending .*does not accept/);

    // Planned again after the stale apply (plan 13): it waits for /apply like any planned project.
    const replanned = applyCheckStatus({ headSha: HEAD, planned: [{ ...withPlans[0], planId: 13 }, withPlans[1]], history });
    expect(replanned).toMatchObject({ status: 'queued', title: 'Waiting for /apply' });
    expect(replanned.summary).toContain('Still to apply: `envs/prod`.');
  });

  it('a stale apply changed nothing: it neither hides an earlier apply of the head nor counts as one', () => {
    const history = newestFirst(entry({ project: 'envs/prod', planId: 10 }), entry({ project: 'envs/staging', planId: 11 }), entry({ project: 'envs/prod', planId: 13, outcome: 'stale' }));
    expect(applyCheckStatus({ headSha: HEAD, planned: withPlans, history })).toMatchObject({ status: 'completed', conclusion: 'success', title: 'Applied' });
    expect([...appliedAtHead(newestFirst(entry({ project: 'envs/prod', outcome: 'stale' })), ['envs/prod'], HEAD)]).toEqual([]);
  });
});

describe('applyCheckStatus: a plan result too large to store', () => {
  it('fails (never waits, never passes) and says why, whatever the history', () => {
    for (const history of [[], newestFirst(entry({ project: 'envs/prod' }), entry({ project: 'envs/staging' }))]) {
      const status = applyCheckStatus({ headSha: HEAD, planned: undefined, history, tooLarge: { bytes: 5_000_000, limit: 4 * 1024 * 1024 } });
      expect(status).toMatchObject({ status: 'completed', conclusion: 'failure', title: 'Plan result too large' });
      expect(status.summary).toContain('The plan result for this head was too large to store (5,000,000 bytes, limit 4 MiB); split the PR.');
      expect(status.summary).toContain('`/apply` refuses every project of this head');
    }
  });
});

describe('appliedAtHead', () => {
  it('counts a project only when its latest record is a successful apply of the head', () => {
    const prod = entry({ project: 'envs/prod' });
    const history = newestFirst(prod, entry({ project: 'envs/staging' }), entry({ project: 'envs/staging', kind: 'rollback', sha: BASE, rollbackOf: 2 }), entry({ project: 'envs/dev', sha: OLD }));
    expect([...appliedAtHead(history, ['envs/prod', 'envs/staging', 'envs/dev', 'envs/none'], HEAD)]).toEqual(['envs/prod']);
  });
});
