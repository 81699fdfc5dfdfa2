import { CHECK_APPLY, CHECK_APPROVAL, CHECK_PLAN, ensureCheckRun } from '../github/ensure-check-run.js';
import { getPullRequest, type PullRequestState } from '../github/get-pull-request.js';
import { findOpenPullRequestsForHead } from '../github/find-pull-requests-for-head.js';
import { applyCheckStatus } from '../commands/apply-check-status.js';
import type { Job, NewJob } from '../store/store.js';
import type { JobContext } from './job-context.js';
import type { ApprovalJobPayload, CommentCommandPayload, PlanJobPayload, PullRequestRef, RerunJobPayload } from './job-payloads.js';
import { repoFullName } from './job-payloads.js';
import { readHeadPlanState } from './head-plan-state.js';
import { readApplyCheckFacts } from './read-apply-check-facts.js';

export type Enqueue = (input: NewJob) => Promise<{ job: Job; created: boolean }>;

export type RerunAction = 'plan-queued' | 'plan-already-queued' | 'approval-queued' | 'approval-already-queued' | 'apply-status-published' | 'apply-status-left-to-running-job';

export interface RerunResult {
  outcome: 'not-our-app' | 'no-open-pr' | 'stale-head' | 'handled';
  /** What was done for each PR whose head the re-run check is on. */
  pulls: { pr: number; action: RerunAction; detail?: string }[];
}

/**
 * "Re-run" on one of our checks (or "Re-run all checks"): for each open PR whose head is the check's
 * commit, do what that check does, through the same jobs as the automatic path:
 * - `infra-review/plan`, or the whole suite: queue the autoplan `plan` job of the head (same gates:
 *   config from the base branch, forks, drafts; it republishes all three checks);
 * - `infra-review/approval`: queue an `approval` job (re-evaluate, republish the check);
 * - `infra-review/apply`: republish the apply status from the store. Never applies.
 * A check of another app, a commit that is no longer a PR's head, or no open PR: logged, nothing done.
 */
export async function rerunCheck(ctx: JobContext, payload: RerunJobPayload, enqueue: Enqueue): Promise<RerunResult> {
  const repo = { owner: payload.owner, repo: payload.repo };
  const repoName = repoFullName(payload);
  const where = { repo: repoName, check: payload.check, headSha: payload.headSha, actor: payload.actor };

  // 1. Only our own check runs (GitHub sends rerequested only to the app that made the run; fail closed anyway).
  if (payload.appId !== ctx.app.id) {
    ctx.log.warn({ ...where, checkAppId: payload.appId, ourAppId: ctx.app.id }, 're-run requested for a check another app created; ignored');
    return { outcome: 'not-our-app', pulls: [] };
  }

  // 2. The PRs: the ones GitHub attached, as they are now; for a fork PR (none attached), the open PRs with this head.
  let pulls: PullRequestState[];
  let searchTruncated = false;
  if (payload.pullRequests.length > 0) {
    pulls = (await Promise.all(payload.pullRequests.map((pr) => getPullRequest(ctx.octokit, repo, pr)))).filter((pull) => pull.state === 'open' && !pull.merged);
  } else {
    ({ pulls, truncated: searchTruncated } = await findOpenPullRequestsForHead(ctx.octokit, repo, payload.headSha));
  }
  if (pulls.length === 0) {
    ctx.log.info(
      { ...where, attached: payload.pullRequests, searchTruncated },
      searchTruncated
        ? 're-run requested, but no open PR with this head was found among the most recently updated open PRs; nothing done'
        : 're-run requested, but no open PR has this commit as its head; nothing done',
    );
    return { outcome: 'no-open-pr', pulls: [] };
  }
  const current = pulls.filter((pull) => pull.headSha === payload.headSha);
  if (current.length === 0) {
    // The new head has (or will get) its own checks; re-running an old commit's check must not touch them.
    ctx.log.info({ ...where, heads: pulls.map((pull) => ({ pr: pull.number, headSha: pull.headSha })) }, 're-run requested for a commit that is no longer the PR head; ignored');
    return { outcome: 'stale-head', pulls: [] };
  }

  // 3. Per PR, what the check does.
  const done: RerunResult['pulls'] = [];
  for (const pull of current) {
    const ref: PullRequestRef = {
      installationId: payload.installationId,
      owner: payload.owner,
      repo: payload.repo,
      pr: pull.number,
      headSha: pull.headSha,
      baseRef: pull.baseRef,
      baseSha: pull.baseSha,
      cloneUrl: payload.cloneUrl,
      author: pull.author,
      fromFork: pull.fromFork,
      draft: pull.draft,
      ...(payload.deliveryId ? { deliveryId: payload.deliveryId } : {}),
    };
    const entry = await rerunFor(ctx, payload.check, ref, enqueue);
    done.push(entry);
    ctx.log.info({ ...where, pr: pull.number, action: entry.action }, 'check re-run handled');
    await ctx.services.store.audit({
      repo: repoName,
      pr: pull.number,
      actor: payload.actor || 'unknown',
      action: 'check:rerun',
      reason: `${payload.check === 'suite' ? 'all checks' : payload.check} re-run on ${pull.headSha.slice(0, 7)}: ${entry.action}`,
      details: { deliveryId: payload.deliveryId ?? null, headSha: pull.headSha },
    });
  }
  return { outcome: 'handled', pulls: done };
}

async function rerunFor(ctx: JobContext, check: RerunJobPayload['check'], ref: PullRequestRef, enqueue: Enqueue): Promise<RerunResult['pulls'][number]> {
  const repoName = repoFullName(ref);
  switch (check) {
    case 'suite':
    case CHECK_PLAN: {
      // Exactly the autoplan job: same kind and key, so it supersedes older heads' plans and joins one already queued or running.
      const payload: PlanJobPayload = { ...ref, trigger: 'autoplan', projects: [] };
      const { created } = await enqueue({ kind: 'plan', repo: repoName, pr: ref.pr, headSha: ref.headSha, command: 'plan', payload });
      return { pr: ref.pr, action: created ? 'plan-queued' : 'plan-already-queued' };
    }
    case CHECK_APPROVAL: {
      const payload: ApprovalJobPayload = { ...ref, trigger: 'rerun' };
      const { created } = await enqueue({ kind: 'approval', repo: repoName, pr: ref.pr, headSha: ref.headSha, command: 'approval:rerun', payload });
      return { pr: ref.pr, action: created ? 'approval-queued' : 'approval-already-queued' };
    }
    case CHECK_APPLY:
      return republishApplyCheck(ctx, ref);
  }
}

/**
 * `infra-review/apply` as the store knows it for the head: applied, waiting for `/apply`, or failed.
 * When an `/apply`, `/rollback` or `/plan` of the PR, or a plan of this head, is queued or running, that job
 * publishes the check when it ends: writing now could overwrite its newer result, so nothing is written.
 */
export async function republishApplyCheck(ctx: JobContext, ref: PullRequestRef): Promise<RerunResult['pulls'][number]> {
  const { store } = ctx.services;
  const repoName = repoFullName(ref);
  const active = await store.listJobs({ repo: repoName, pr: ref.pr, status: ['queued', 'running'] });
  const publishing = active.filter((job) => (job.kind === 'plan' && job.headSha === ref.headSha) || (job.kind === 'command' && publishesApplyCheck(job)));
  if (publishing.length > 0) {
    return { pr: ref.pr, action: 'apply-status-left-to-running-job', detail: publishing.map((job) => `${job.command} (${job.status})`).join(', ') };
  }
  const plan = await readHeadPlanState(store, ref);
  const status = applyCheckStatus(await readApplyCheckFacts(store, ref, plan));
  // A new run even when nothing changed: GitHub reset the suite to queued at the click and waits for a write.
  await ensureCheckRun(ctx.octokit, { owner: ref.owner, repo: ref.repo }, { name: CHECK_APPLY, headSha: ref.headSha, appId: ctx.app.id, ...status, rerun: true });
  return { pr: ref.pr, action: 'apply-status-published', detail: status.title };
}

/** `/apply`, `/rollback` and `/plan` end by publishing the apply check; `/unlock` and `/help` leave it alone. */
function publishesApplyCheck(job: Job): boolean {
  const parsed = (job.payload as Partial<CommentCommandPayload> | null)?.parsed;
  if (!parsed || parsed.kind !== 'command') return false;
  return ['apply', 'rollback', 'plan'].includes(parsed.command.name);
}
