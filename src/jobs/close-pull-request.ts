import type { JobContext } from './job-context.js';
import type { PullRequestRef } from './job-payloads.js';
import { repoFullName } from './job-payloads.js';
import { annotatePlanComment } from '../github/annotate-plan-comment.js';

export interface ClosePayload extends PullRequestRef {
  merged: boolean;
}

/**
 * A closed PR (merged or not) holds nothing: release its project locks, discard its unapplied plans,
 * record it, and say so in the plan comment.
 */
export async function closePullRequest(ctx: JobContext, payload: ClosePayload): Promise<{ releasedLocks: string[]; discardedPlans: number }> {
  const { store } = ctx.services;
  const repo = repoFullName(payload);
  const released = await store.releaseLocksForPr(repo, payload.pr);
  const plans = await store.listPlans({ repo, pr: payload.pr });
  let discarded = 0;
  for (const plan of plans) {
    if (plan.status === 'planned' || plan.status === 'planning') {
      await store.updatePlan(plan.id, { status: 'discarded' });
      discarded++;
    }
  }
  const lockNames = released.map((lock) => (lock.workspace === 'default' ? lock.project : `${lock.project} (${lock.workspace})`));
  await store.audit({
    repo,
    pr: payload.pr,
    actor: payload.author,
    action: payload.merged ? 'pr:merged' : 'pr:closed',
    reason: `released ${lockNames.length} lock(s)${lockNames.length ? `: ${lockNames.join(', ')}` : ''}; discarded ${discarded} unapplied plan(s)`,
  });
  const parts = [`**This PR was ${payload.merged ? 'merged' : 'closed'}.**`];
  if (lockNames.length > 0) parts.push(`Released the lock${lockNames.length === 1 ? '' : 's'} on ${lockNames.map((name) => `\`${name}\``).join(', ')}.`);
  if (discarded > 0) parts.push(`Discarded ${discarded} unapplied plan${discarded === 1 ? '' : 's'}; the details below are history, not a pending change.`);
  await annotatePlanComment(ctx.octokit, { owner: payload.owner, repo: payload.repo }, payload.pr, 'status', parts.join(' '), { botLogin: ctx.botLogin });
  return { releasedLocks: lockNames, discardedPlans: discarded };
}
