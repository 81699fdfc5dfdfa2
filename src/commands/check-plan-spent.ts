/**
 * Whether a saved plan can still be applied (pure). A saved plan is good for one apply, against the state
 * it was made from. So it is spent once an apply or rollback of its project from this PR ran from it or from
 * a newer plan (plan ids grow as plans are made: a rollback records its own plan first): its apply already
 * happened, or the state may have changed since it was made, and Terraform would refuse it as stale
 * ("Saved plan is stale"). A discarded plan (`/unlock`, the PR closed, a rollback not confirmed) is spent too.
 *
 * This is not one of the configurable `apply.requirements`: turning it off could only make Terraform refuse
 * the plan after the locks are taken and a deployment is created.
 */

/** One apply or rollback of the PR, as the store records it (ApplyRecord has these fields). */
export interface PlanUse {
  id: number;
  kind: 'apply' | 'rollback';
  project: string;
  /** An apply: the commit applied; a rollback: the commit whose state it restores. */
  sha: string;
  outcome: 'running' | 'succeeded' | 'failed' | 'interrupted' | 'stale';
  /** The plan it applied (a rollback: the plan it made of the known-good commit). */
  planId: number | null;
  actor: string;
}

export interface PlanSpentFacts {
  project: string;
  /** The plan `/apply` would apply. */
  plan: { id: number; headSha: string; status: string };
  /** This PR's applies and rollbacks (any project), newest first. */
  history: readonly PlanUse[];
}

export interface SpentPlan {
  /** Why the plan cannot be applied, with no final full stop. */
  problem: string;
  /** What to type instead. */
  fix: string;
}

/** Statuses of a plan an apply has taken (or is taking), or that was thrown away. */
const USED = new Set(['applying', 'applied', 'apply-failed', 'stale']);

/** The newest apply or rollback of `project` that spent plan `planId`: it ran from that plan or from a newer one. */
export function findPlanSpender(history: readonly PlanUse[], project: string, planId: number): PlanUse | undefined {
  // A rollback the tool refused as stale changed nothing, so it outdates nothing.
  return history.find((use) => use.project === project && use.planId !== null && use.planId >= planId && !(use.kind === 'rollback' && use.outcome === 'stale'));
}

/** Undefined when the plan can still be applied (as far as this PR knows; the tool checks the state itself). */
export function checkPlanSpent(facts: PlanSpentFacts): SpentPlan | undefined {
  const { project, plan } = facts;
  const short = (sha: string) => sha.slice(0, 7);
  const fix = `Comment \`/plan -p ${project}\` (or push a commit) to make a new plan, review it, then comment \`/apply\`.`;
  const thePlan = `the saved plan of \`${project}\` (made for ${short(plan.headSha)})`;
  const spender = findPlanSpender(facts.history, project, plan.id);
  if (spender) return { problem: describeSpender(spender, project, plan.id, thePlan), fix };
  if (plan.status === 'discarded') return { problem: `${thePlan} was discarded`, fix };
  if (USED.has(plan.status)) return { problem: `${thePlan} was already used by an apply (status: ${plan.status})`, fix };
  return undefined;
}

function describeSpender(spender: PlanUse, project: string, planId: number, thePlan: string): string {
  const short = spender.sha.slice(0, 7);
  const by = `@${spender.actor}`;
  const cutShort = spender.outcome === 'interrupted' || spender.outcome === 'running';
  if (spender.kind === 'rollback') {
    return spender.outcome === 'succeeded'
      ? `${thePlan} was made before the rollback of \`${project}\` to ${short} by ${by}, which changed its state`
      : `a rollback of \`${project}\` to ${short} by ${by} ${cutShort ? 'was interrupted' : 'failed'} after this plan was made: the state may have changed`;
  }
  if (spender.planId !== planId) return `a newer plan of \`${project}\` (made for ${short}) was applied by ${by} after this one was made`;
  switch (spender.outcome) {
    case 'succeeded':
      return `${thePlan} was already applied by ${by}: a saved plan can be applied only once`;
    case 'stale':
      return `${thePlan} was stale when ${by} applied it: the state of \`${project}\` changed after the plan was made (another PR's apply, or a change outside infra-review), so nothing was applied`;
    case 'failed':
      return `the apply of ${thePlan} by ${by} failed: the state may have changed since the plan was made`;
    case 'running':
      return `the apply of ${thePlan} by ${by} is still running (or was cut short): a saved plan can be applied only once`;
    default:
      return `the apply of ${thePlan} by ${by} was interrupted: the state may have changed since the plan was made`;
  }
}
