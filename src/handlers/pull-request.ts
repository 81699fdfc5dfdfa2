import type { Context } from 'probot';
import type { JobQueue } from '../jobs/job-queue.js';
import type { PlanJobPayload, PullRequestRef } from '../jobs/job-payloads.js';
import { repoFullName } from '../jobs/job-payloads.js';

type PullRequestContext = Context<'pull_request'>;

/** Actions that put a new head in front of reviewers: plan it. */
const PLAN_ACTIONS = new Set(['opened', 'synchronize', 'reopened', 'ready_for_review']);

/**
 * `pull_request`: enqueue a plan of the head (superseding older plans of the PR), or, when the PR is
 * closed, enqueue the clean-up (release locks, discard plans). Returns at once; the work runs in jobs.
 * `queue` is only asked for (it waits for the store) when there is a job to enqueue.
 */
export async function handlePullRequest(context: PullRequestContext, queue: () => Promise<JobQueue>): Promise<'queued' | 'ignored'> {
  const { action } = context.payload;
  const ref = pullRequestRef(context);
  if (action === 'closed') {
    await (await queue()).enqueue({
      kind: 'pr-closed',
      repo: repoFullName(ref),
      pr: ref.pr,
      headSha: ref.headSha,
      command: 'closed',
      payload: { ...ref, merged: context.payload.pull_request.merged === true },
    });
    return 'queued';
  }
  const baseChanged = action === 'edited' && context.payload.changes?.base !== undefined;
  if (!PLAN_ACTIONS.has(action) && !baseChanged) return 'ignored';

  // A newer head makes older plans of this PR worthless: enqueueing a plan drops queued ones and cancels
  // running ones, in the same transaction.
  const payload: PlanJobPayload = { ...ref, trigger: 'autoplan', projects: [] };
  await (await queue()).enqueue({
    kind: 'plan',
    repo: repoFullName(ref),
    pr: ref.pr,
    headSha: ref.headSha,
    // A base change re-plans the same head against another base: a distinct job.
    command: baseChanged ? `plan:base=${ref.baseRef}` : 'plan',
    payload,
  });
  return 'queued';
}

export function pullRequestRef(context: Context<'pull_request' | 'pull_request_review'>): PullRequestRef {
  const { pull_request: pr, repository } = context.payload;
  const installation = (context.payload as { installation?: { id: number } }).installation;
  if (!installation) throw new Error('webhook without an installation: infra-review only works as an installed GitHub App');
  return {
    installationId: installation.id,
    owner: repository.owner.login,
    repo: repository.name,
    pr: pr.number,
    headSha: pr.head.sha,
    baseRef: pr.base.ref,
    baseSha: pr.base.sha,
    cloneUrl: repository.clone_url,
    author: pr.user?.login ?? '',
    fromFork: (pr.head.repo?.full_name ?? '') !== repository.full_name,
    draft: pr.draft === true,
    deliveryId: context.id,
  };
}
