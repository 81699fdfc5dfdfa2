import type { Context } from 'probot';
import type { JobQueue } from '../jobs/job-queue.js';
import type { RerunJobPayload } from '../jobs/job-payloads.js';
import { repoFullName } from '../jobs/job-payloads.js';
import { CHECK_NAMES, type CheckName } from '../github/ensure-check-run.js';

/** A PR as a check run or suite lists it: only its number and where its base lives matter here. */
interface AttachedPullRequest {
  number: number;
  base: { repo: { id: number } };
}

/**
 * `check_run.rerequested`: someone clicked "Re-run" on one of our three check runs. Only enqueues;
 * the job checks that the run is our app's, finds the PR and re-plans, re-evaluates approvals or
 * republishes the apply status (never applies). A check run infra-review did not create (not one of its
 * three checks, no app at all, or, when `ourAppId` is known, another app's run: GitHub sends every app's
 * `check_run` events, a CI's `build`...) is `other_app`; every other action on ours (created, completed,
 * ...) is ignored. Both without the store.
 */
export async function handleCheckRunRerequested(context: Context<'check_run'>, queue: () => Promise<JobQueue>, ourAppId?: number): Promise<'queued' | 'ignored' | 'other_app'> {
  const { payload } = context;
  const run = payload.check_run;
  if (!isCheckName(run.name) || !run.app || (ourAppId !== undefined && run.app.id !== ourAppId)) return 'other_app';
  if (payload.action !== 'rerequested') return 'ignored';
  return enqueueRerun(context, queue, {
    check: run.name,
    headSha: run.head_sha,
    appId: run.app.id ?? null,
    pullRequests: run.pull_requests as AttachedPullRequest[],
  });
}

/**
 * `check_suite.rerequested` ("Re-run all checks" on our suite): re-plan the head, which republishes all three
 * checks. Another app's suite (when `ourAppId` is known) is `other_app`; every other action is ignored.
 */
export async function handleCheckSuiteRerequested(context: Context<'check_suite'>, queue: () => Promise<JobQueue>, ourAppId?: number): Promise<'queued' | 'ignored' | 'other_app'> {
  const { payload } = context;
  const suite = payload.check_suite;
  if (ourAppId !== undefined && suite.app?.id !== ourAppId) return 'other_app';
  if (payload.action !== 'rerequested') return 'ignored';
  if (!suite.app || !suite.head_sha) return 'ignored';
  return enqueueRerun(context, queue, {
    check: 'suite',
    headSha: suite.head_sha,
    appId: suite.app.id ?? null,
    pullRequests: suite.pull_requests as AttachedPullRequest[],
  });
}

async function enqueueRerun(
  context: Context<'check_run' | 'check_suite'>,
  queue: () => Promise<JobQueue>,
  rerun: { check: CheckName | 'suite'; headSha: string; appId: number | null; pullRequests: AttachedPullRequest[] },
): Promise<'queued'> {
  const { repository, sender } = context.payload;
  const installation = (context.payload as { installation?: { id: number } }).installation;
  if (!installation) throw new Error('webhook without an installation: infra-review only works as an installed GitHub App');
  // A check on a commit of a fork can list the fork's own PRs too: only PRs into this repository count.
  const pullRequests = [...new Set(rerun.pullRequests.filter((pr) => pr.base.repo.id === repository.id).map((pr) => pr.number))];
  const payload: RerunJobPayload = {
    installationId: installation.id,
    owner: repository.owner.login,
    repo: repository.name,
    cloneUrl: repository.clone_url,
    check: rerun.check,
    headSha: rerun.headSha,
    appId: rerun.appId,
    pullRequests,
    actor: sender?.login ?? '',
    deliveryId: context.id,
  };
  // Clicking twice while the first re-run waits or runs queues nothing more (same key).
  await (await queue()).enqueue({
    kind: 'rerun',
    repo: repoFullName(payload),
    pr: pullRequests[0] ?? 0,
    headSha: rerun.headSha,
    command: `rerun:${rerun.check}`,
    payload,
  });
  return 'queued';
}

function isCheckName(name: string): name is CheckName {
  return (CHECK_NAMES as readonly string[]).includes(name);
}
