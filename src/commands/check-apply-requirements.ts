/**
 * The `/apply` requirements (pure). Every requirement is on by default and can be turned off in
 * `apply.requirements`; a refusal lists every unmet requirement at once, each with how to meet it.
 */

export const APPLY_REQUIREMENTS = [
  'pr_open',
  'plan_current',
  'plan_succeeded',
  'plan_unchanged',
  'undiverged',
  'approved',
  'locked',
] as const;
export type ApplyRequirement = (typeof APPLY_REQUIREMENTS)[number];

export interface ApplyFacts {
  project: string;
  /** Which requirements are enforced (from config `apply.requirements`). */
  enforced: Record<ApplyRequirement, boolean>;
  pr: { number: number; state: 'open' | 'closed'; merged: boolean; headSha: string };
  /** The latest stored plan of this project for this PR, if any. */
  plan?: { headSha: string; status: string; planfileHashMatches: boolean | undefined };
  /** Outcome of the last `infra-review/plan` check on the head SHA, if any. */
  planCheckConclusion?: string | null;
  /** Files changed on the base branch since the plan's base SHA that affect this project (empty: not diverged). */
  baseChangedFiles: string[];
  /** `unevaluable`: why the policy cannot be evaluated at all (ApprovalEvaluation.unevaluable); approvals cannot fix it. */
  approval: { satisfied: boolean; statusLine: string; unevaluable?: string };
  /** Who holds the project lock now: nobody, this PR, or another PR. */
  lock: { heldByPr: number | null; holder?: string };
}

export interface UnmetRequirement {
  requirement: ApplyRequirement;
  problem: string;
  fix: string;
}

export function checkApplyRequirements(facts: ApplyFacts): UnmetRequirement[] {
  const unmet: UnmetRequirement[] = [];
  const add = (requirement: ApplyRequirement, problem: string, fix: string) => {
    if (facts.enforced[requirement]) unmet.push({ requirement, problem, fix });
  };
  const { pr, plan, project } = facts;
  const short = (sha: string) => sha.slice(0, 7);

  if (pr.merged || pr.state !== 'open') {
    add('pr_open', `PR #${pr.number} is ${pr.merged ? 'merged' : 'closed'}`, 'Reopen the PR, or open a new one with the change.');
  }
  if (!plan) {
    add('plan_current', `there is no plan of \`${project}\` for this PR`, `Comment \`/plan -p ${project}\` and review the result.`);
  } else {
    if (plan.headSha !== pr.headSha) {
      add(
        'plan_current',
        `the plan of \`${project}\` was made for ${short(plan.headSha)}, but the PR head is now ${short(pr.headSha)}`,
        `Wait for the automatic plan of ${short(pr.headSha)}, or comment \`/plan -p ${project}\`.`,
      );
    }
    if (plan.status !== 'planned' && plan.status !== 'applied') {
      add('plan_succeeded', `the plan of \`${project}\` did not succeed (status: ${plan.status})`, 'Fix the errors shown in the plan comment and push, or comment `/plan`.');
    }
    if (plan.planfileHashMatches === false) {
      add(
        'plan_unchanged',
        `the stored plan file of \`${project}\` no longer matches the SHA-256 recorded when it was made`,
        `Comment \`/plan -p ${project}\` to make a fresh plan; report this to your operators, the data directory may have been tampered with.`,
      );
    }
  }
  if (facts.planCheckConclusion !== undefined && facts.planCheckConclusion !== 'success') {
    add(
      'plan_succeeded',
      `the \`infra-review/plan\` check is ${facts.planCheckConclusion ?? 'not finished'} on ${short(pr.headSha)}`,
      'Wait for the plan to finish, or fix the failing project and push.',
    );
  }
  if (facts.baseChangedFiles.length > 0) {
    const listed = facts.baseChangedFiles.slice(0, 5).map((file) => `\`${file}\``).join(', ');
    const more = facts.baseChangedFiles.length > 5 ? ` and ${facts.baseChangedFiles.length - 5} more` : '';
    add(
      'undiverged',
      `the base branch changed files of \`${project}\` since the plan (${listed}${more})`,
      'Merge or rebase the base branch into this PR so the plan includes those changes.',
    );
  }
  if (facts.approval.unevaluable !== undefined) {
    add('approved', facts.approval.unevaluable, 'Split the PR into PRs that change fewer than 3,000 files each; no approval can satisfy the policy for this one.');
  } else if (!facts.approval.satisfied) {
    add('approved', `approvals are missing: ${facts.approval.statusLine}`, 'Ask the owners named in the `infra-review/approval` check to approve the current head.');
  }
  if (facts.lock.heldByPr !== null && facts.lock.heldByPr !== pr.number) {
    add(
      'locked',
      `\`${project}\` is locked by PR #${facts.lock.heldByPr}${facts.lock.holder ? ` (${facts.lock.holder})` : ''}`,
      `Wait until PR #${facts.lock.heldByPr} is applied and merged or closed, or ask its author to comment \`/unlock\` there.`,
    );
  }
  // One line per requirement even when two facts fail the same one.
  return unmet.filter((item, index) => unmet.findIndex((other) => other.requirement === item.requirement) === index);
}
