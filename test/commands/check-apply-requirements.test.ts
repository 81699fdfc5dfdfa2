import { describe, expect, it } from 'vitest';
import { APPLY_REQUIREMENTS, checkApplyRequirements, type ApplyFacts } from '../../src/commands/check-apply-requirements.js';

const HEAD = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const allOn = Object.fromEntries(APPLY_REQUIREMENTS.map((r) => [r, true])) as ApplyFacts['enforced'];

function facts(overrides: Partial<ApplyFacts> = {}): ApplyFacts {
  return {
    project: 'network',
    enforced: allOn,
    pr: { number: 7, state: 'open', merged: false, headSha: HEAD },
    plan: { headSha: HEAD, status: 'planned', planfileHashMatches: true },
    planCheckConclusion: 'success',
    baseChangedFiles: [],
    approval: { satisfied: true, statusLine: 'approved' },
    lock: { heldByPr: null },
    ...overrides,
  };
}

const names = (f: ApplyFacts) => checkApplyRequirements(f).map((u) => u.requirement);

describe('checkApplyRequirements', () => {
  it('passes when every fact is good, and when the lock is already ours', () => {
    expect(checkApplyRequirements(facts())).toEqual([]);
    expect(checkApplyRequirements(facts({ lock: { heldByPr: 7 } }))).toEqual([]);
  });

  it.each<[string, Partial<ApplyFacts>, string]>([
    ['closed PR', { pr: { number: 7, state: 'closed', merged: false, headSha: HEAD } }, 'pr_open'],
    ['merged PR', { pr: { number: 7, state: 'closed', merged: true, headSha: HEAD } }, 'pr_open'],
    ['no plan', { plan: undefined }, 'plan_current'],
    ['stale plan', { plan: { headSha: OLD, status: 'planned', planfileHashMatches: true } }, 'plan_current'],
    ['failed plan', { plan: { headSha: HEAD, status: 'failed', planfileHashMatches: true } }, 'plan_succeeded'],
    ['failing plan check', { planCheckConclusion: 'failure' }, 'plan_succeeded'],
    ['plan check still running', { planCheckConclusion: null }, 'plan_succeeded'],
    ['tampered plan file', { plan: { headSha: HEAD, status: 'planned', planfileHashMatches: false } }, 'plan_unchanged'],
    ['diverged base', { baseChangedFiles: ['network/main.tf'] }, 'undiverged'],
    ['missing approval', { approval: { satisfied: false, statusLine: '1 of 2 approvals' } }, 'approved'],
    ['lock held elsewhere', { lock: { heldByPr: 9, holder: 'bob' } }, 'locked'],
  ])('refuses on %s', (_name, override, requirement) => {
    expect(names(facts(override))).toEqual([requirement]);
  });

  it('names every unmet requirement at once, with how to meet each', () => {
    const unmet = checkApplyRequirements(
      facts({
        plan: { headSha: OLD, status: 'planned', planfileHashMatches: true },
        approval: { satisfied: false, statusLine: '0 of 1 approvals from @acme/sre' },
        lock: { heldByPr: 12, holder: 'carol' },
      }),
    );
    expect(unmet.map((u) => u.requirement)).toEqual(['plan_current', 'approved', 'locked']);
    expect(unmet[2]!.problem).toContain('PR #12');
    expect(unmet.every((u) => u.fix.length > 0)).toBe(true);
  });

  it('refuses `approved` with the reason when the policy cannot be evaluated, and says to split the PR', () => {
    const reason = 'this PR changes 3,000 files or more; GitHub lists no more than 3,000, so the approval policy cannot be evaluated: split the PR';
    const unmet = checkApplyRequirements(facts({ approval: { satisfied: false, statusLine: `❌ **Approvals:** ${reason}.`, unevaluable: reason } }));
    expect(unmet).toEqual([{ requirement: 'approved', problem: reason, fix: expect.stringContaining('Split the PR') }]);
    expect(unmet[0]!.problem).not.toContain('approvals are missing');
  });

  it('skips requirements turned off in config', () => {
    const enforced = { ...allOn, approved: false, locked: false };
    expect(names(facts({ enforced, approval: { satisfied: false, statusLine: '' }, lock: { heldByPr: 3 } }))).toEqual([]);
  });

  it('lists at most five diverged files and counts the rest', () => {
    const files = Array.from({ length: 8 }, (_, i) => `network/f${i}.tf`);
    const [unmet] = checkApplyRequirements(facts({ baseChangedFiles: files }));
    expect(unmet!.problem).toContain('and 3 more');
    expect(unmet!.problem).not.toContain('f5.tf');
  });
});
