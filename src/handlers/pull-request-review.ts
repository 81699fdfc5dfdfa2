import type { Context } from 'probot';
import type { JobQueue } from '../jobs/job-queue.js';
import type { ApprovalJobPayload } from '../jobs/job-payloads.js';
import { repoFullName } from '../jobs/job-payloads.js';
import { pullRequestRef } from './pull-request.js';

const REVIEW_ACTIONS = new Set(['submitted', 'edited', 'dismissed']);

/** `pull_request_review`: re-evaluate the approval policy for the PR's head. `queue` is only asked for when there is a job to enqueue. */
export async function handlePullRequestReview(context: Context<'pull_request_review'>, queue: () => Promise<JobQueue>): Promise<'queued' | 'ignored'> {
  if (!REVIEW_ACTIONS.has(context.payload.action)) return 'ignored';
  const ref = pullRequestRef(context);
  const payload: ApprovalJobPayload = { ...ref, trigger: 'review' };
  await (await queue()).enqueue({
    kind: 'approval',
    repo: repoFullName(ref),
    pr: ref.pr,
    headSha: ref.headSha,
    // One evaluation per review event: one already running may have read the reviews before this one.
    command: `approval:${context.payload.review.id}:${context.payload.action}`,
    payload,
  });
  return 'queued';
}
