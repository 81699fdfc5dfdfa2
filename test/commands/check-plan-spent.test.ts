import { describe, expect, it } from 'vitest';
import { checkPlanSpent, type PlanUse } from '../../src/commands/check-plan-spent.js';

const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
const PLAN = { id: 10, headSha: HEAD, status: 'planned' };

let nextId = 1;
function use(fields: Partial<PlanUse>): PlanUse {
  return { id: nextId++, kind: 'apply', project: 'prod', sha: HEAD, outcome: 'succeeded', planId: PLAN.id, actor: 'bob', ...fields };
}
/** The store lists newest first: the last argument is the newest. */
const newestFirst = (...entries: PlanUse[]) => [...entries].reverse();
const spent = (plan: typeof PLAN, history: PlanUse[]) => checkPlanSpent({ project: 'prod', plan, history });

describe('checkPlanSpent: a saved plan is good for one apply against the state it was made from', () => {
  it('leaves a plan alone that nothing of this PR has used or outdated', () => {
    expect(spent(PLAN, [])).toBeUndefined();
    // Applies and rollbacks from older plans, or of other projects, say nothing about this one.
    expect(spent(PLAN, newestFirst(use({ planId: 4 }), use({ kind: 'rollback', sha: BASE, planId: 6 }), use({ project: 'staging', planId: 12 })))).toBeUndefined();
  });

  it('spends a plan that a rollback made after it outdated, saying so and what to type', () => {
    const problem = spent(PLAN, newestFirst(use({}), use({ kind: 'rollback', sha: BASE, planId: 11 })));
    expect(problem?.problem).toBe(`the saved plan of \`prod\` (made for aaaaaaa) was made before the rollback of \`prod\` to bbbbbbb by @bob, which changed its state`);
    expect(problem?.fix).toBe('Comment `/plan -p prod` (or push a commit) to make a new plan, review it, then comment `/apply`.');
    // A failed rollback may have changed it too.
    expect(spent(PLAN, newestFirst(use({ kind: 'rollback', sha: BASE, planId: 11, outcome: 'failed' })))?.problem).toContain('failed after this plan was made');
  });

  it('spends a plan once applied, whatever the apply did', () => {
    expect(spent({ ...PLAN, status: 'applied' }, [use({})])?.problem).toBe('the saved plan of `prod` (made for aaaaaaa) was already applied by @bob: a saved plan can be applied only once');
    expect(spent({ ...PLAN, status: 'apply-failed' }, [use({ outcome: 'failed' })])?.problem).toContain('failed: the state may have changed');
    expect(spent({ ...PLAN, status: 'applying' }, [use({ outcome: 'interrupted' })])?.problem).toContain('was interrupted');
    expect(spent({ ...PLAN, status: 'applying' }, [use({ outcome: 'running' })])?.problem).toContain('is still running');
    const stale = spent({ ...PLAN, status: 'stale' }, [use({ outcome: 'stale' })]);
    expect(stale?.problem).toContain('was stale when @bob applied it');
    expect(stale?.problem).toContain('nothing was applied');
  });

  it('spends an older plan once a newer one was applied', () => {
    expect(spent(PLAN, [use({ planId: 15, sha: BASE })])?.problem).toBe('a newer plan of `prod` (made for bbbbbbb) was applied by @bob after this one was made');
  });

  it('spends the plan a rollback applied: it is never taken for the PR\'s own plan', () => {
    const rollbackPlan = { id: 11, headSha: BASE, status: 'applied' };
    expect(spent(rollbackPlan, newestFirst(use({}), use({ kind: 'rollback', sha: BASE, planId: 11 })))).toBeDefined();
  });

  it('does not count a rollback the tool refused as stale: it changed nothing', () => {
    expect(spent(PLAN, [use({ kind: 'rollback', sha: BASE, planId: 11, outcome: 'stale' })])).toBeUndefined();
  });

  it('spends a discarded plan, and any plan an apply used, even without its record', () => {
    expect(spent({ ...PLAN, status: 'discarded' }, [])?.problem).toBe('the saved plan of `prod` (made for aaaaaaa) was discarded');
    expect(spent({ ...PLAN, status: 'applied' }, [])?.problem).toBe('the saved plan of `prod` (made for aaaaaaa) was already used by an apply (status: applied)');
    // A failed or unfinished plan is the plan_succeeded requirement's business, not this check's.
    expect(spent({ ...PLAN, status: 'failed' }, [])).toBeUndefined();
    expect(spent({ ...PLAN, status: 'planning' }, [])).toBeUndefined();
  });
});
