import type { ApplyCheckFacts, ApplyCheckProject } from '../commands/apply-check-status.js';
import type { Store } from '../store/store.js';
import { projectKey, type OversizedPlanResult, type PlanJobResult } from './head-plan-state.js';
import { repoFullName, type PullRequestRef } from './job-payloads.js';

/**
 * What the apply check rule (`applyCheckStatus`) decides on, from the store, for every publisher of the
 * check (the plan job, `/apply`, `/rollback`, a re-run): the head's plan state as the caller has it (or
 * that it was too large to store), each project with the id of its newest plan record at this head (so that
 * a rollback made after that plan is told apart from one made before it), and the PR's applies and
 * rollbacks, newest first.
 */
export async function readApplyCheckFacts(
  store: Store,
  ref: Pick<PullRequestRef, 'owner' | 'repo' | 'pr' | 'headSha'>,
  headPlan: PlanJobResult | OversizedPlanResult | undefined,
): Promise<ApplyCheckFacts> {
  const repo = repoFullName(ref);
  if (headPlan?.outcome === 'too-large') {
    return { headSha: ref.headSha, planned: undefined, tooLarge: { bytes: headPlan.bytes, limit: headPlan.limit }, history: await store.listApplies({ repo, pr: ref.pr }) };
  }
  const planned = headPlan?.projects;
  const [history, plans] = await Promise.all([store.listApplies({ repo, pr: ref.pr }), planned ? store.listPlans({ repo, pr: ref.pr, headSha: ref.headSha }) : []]);
  // Newest first: the first record of a (project, workspace) is its newest plan at this head.
  const newest = new Map<string, number>();
  for (const plan of plans) {
    const key = projectKey({ name: plan.project, workspace: plan.workspace });
    if (!newest.has(key)) newest.set(key, plan.id);
  }
  return {
    headSha: ref.headSha,
    planned: planned?.map((project): ApplyCheckProject => {
      const planId = newest.get(projectKey(project));
      return planId === undefined ? project : { ...project, planId };
    }),
    history,
  };
}
