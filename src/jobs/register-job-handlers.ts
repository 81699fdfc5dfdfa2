import type { JobQueue } from './job-queue.js';
import type { Job } from '../store/store.js';
import type { JobServices } from './job-context.js';
import { createJobContext } from './job-context.js';
import type { ApprovalJobPayload, CommentCommandPayload, PlanJobPayload, RerunJobPayload } from './job-payloads.js';
import { planPullRequest } from './plan-pull-request.js';
import { refreshApprovals } from './refresh-approvals.js';
import { closePullRequest, type ClosePayload } from './close-pull-request.js';
import { rerunCheck } from './rerun-check.js';
import { runCommentCommand } from '../commands/run-comment-command.js';

/** Every job kind and the function that runs it (durations and outcomes are measured by the queue's observer). */
export function registerJobHandlers(queue: JobQueue, services: JobServices): void {
  // Every log line of a job names the job, the repository, the PR, the head and the delivery that caused it.
  const context = (job: Job, installationId: number) =>
    createJobContext(services, installationId, {
      jobId: job.id,
      jobKind: job.kind,
      repo: job.repo,
      pr: job.pr,
      headSha: job.headSha,
      deliveryId: (job.payload as { deliveryId?: string } | null)?.deliveryId,
    });

  queue.register('plan', async (job, signal) => {
    const payload = job.payload as PlanJobPayload;
    return planPullRequest(await context(job, payload.installationId), payload, signal);
  });
  queue.register('approval', async (job, signal) => {
    const payload = job.payload as ApprovalJobPayload;
    // A Re-run of the approval check gets a new run even when nothing changed (GitHub reset the suite to queued).
    await refreshApprovals(await context(job, payload.installationId), payload, { signal, rerun: payload.trigger === 'rerun' });
    return { outcome: 'published' };
  });
  queue.register('pr-closed', async (job) => {
    const payload = job.payload as ClosePayload;
    return closePullRequest(await context(job, payload.installationId), payload);
  });
  queue.register('rerun', async (job) => {
    const payload = job.payload as RerunJobPayload;
    // Re-runs queue the same plan and approval jobs as the automatic path (same keys, same supersession).
    return rerunCheck(await context(job, payload.installationId), payload, (input) => queue.enqueue(input));
  });
  queue.register('command', async (job, signal) => {
    const payload = job.payload as CommentCommandPayload;
    return runCommentCommand(await context(job, payload.installationId), payload, signal);
  });
}
