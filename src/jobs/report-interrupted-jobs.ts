import { INTERRUPTED_ERRORS, type Job } from '../store/store.js';
import type { JobServices } from './job-context.js';
import { createJobContext } from './job-context.js';
import { CHECK_APPLY, CHECK_PLAN, ensureCheckRun } from '../github/ensure-check-run.js';
import { postComment } from '../github/post-comment.js';
import type { CommentCommandPayload } from './job-payloads.js';
import type { InterruptedCause } from './job-queue.js';

/**
 * What stopped the job, as far as we know. A shutdown we ran ourselves. An abandoned job: either its process
 * is known to be gone (SQLite, same host), or it only stopped heartbeating, and whether its process
 * restarted, crashed or lost the database is not known (the store records which: INTERRUPTED_ERRORS).
 */
const STOPPED_ANSWERING = 'infra-review was restarted, crashed, or lost contact with its database';
const PROCESS_ENDED = 'it crashed, was killed or was restarted';

/** How one job stopped, in the words of the check, the comment and the audit trail. */
function howItStopped(job: Job, cause: InterruptedCause): { check: string; comment: string; audit: string } {
  if (cause === 'shutdown') return { check: ' by a restart of infra-review', comment: `**infra-review was restarted while ${describe(job)} was running.**`, audit: 'shut down' };
  if (job.error === INTERRUPTED_ERRORS.processEnded) {
    return {
      check: `: the infra-review process running it ended (${PROCESS_ENDED})`,
      comment: `**The infra-review process running ${describe(job)} ended** (${PROCESS_ENDED}).`,
      audit: `process ended (${PROCESS_ENDED})`,
    };
  }
  return {
    check: `: the worker running it stopped answering (${STOPPED_ANSWERING})`,
    comment: `**The worker running ${describe(job)} stopped answering** (${STOPPED_ANSWERING}).`,
    audit: `stopped answering (${STOPPED_ANSWERING})`,
  };
}

/**
 * Jobs that were running when their process shut down or stopped answering: say so where people look (a
 * failed check and a comment) and in the audit trail. An interrupted apply or rollback is never re-run
 * automatically: its real outcome is unknown until someone looks at the state.
 */
export async function reportInterruptedJobs(services: JobServices, jobs: Job[], cause: InterruptedCause): Promise<void> {
  for (const job of jobs) {
    const how = howItStopped(job, cause);
    const payload = (job.payload ?? {}) as { installationId?: number; owner?: string; repo?: string };
    // A `/plan` comment plans like a plan job: it changes nothing, and planning again is safe.
    const planCommand = job.kind === 'command' && isPlanCommand(job);
    const mutating = job.kind === 'command' && !planCommand;
    await services.store.audit({
      repo: job.repo,
      pr: job.pr,
      actor: 'infra-review',
      action: `job:interrupted:${job.kind}`,
      reason: `job ${job.id} (${job.command}) was running when its worker ${how.audit}; it is not re-run automatically`,
    });
    services.log.error({ jobId: job.id, kind: job.kind, repo: job.repo, pr: job.pr, cause }, 'job interrupted by a crash or restart');
    // A re-run of a fork PR's check is queued before its PR is known (pr 0): there is no PR to tell.
    if (!payload.installationId || !payload.owner || !payload.repo || job.pr <= 0) continue;
    try {
      const ctx = await createJobContext(services, payload.installationId, { jobId: job.id, repo: job.repo, pr: job.pr });
      const repo = { owner: payload.owner, repo: payload.repo };
      if ((job.kind === 'plan' || planCommand) && job.headSha) {
        await ensureCheckRun(ctx.octokit, repo, {
          name: CHECK_PLAN,
          headSha: job.headSha,
          appId: ctx.app.id,
          status: 'completed',
          conclusion: 'failure',
          title: 'Plan interrupted',
          summary: `The plan was interrupted${how.check}. Comment \`/plan\` to plan again.`,
        });
      }
      if (mutating && job.headSha) {
        await ensureCheckRun(ctx.octokit, repo, {
          name: CHECK_APPLY,
          headSha: job.headSha,
          appId: ctx.app.id,
          status: 'completed',
          conclusion: 'failure',
          title: 'Command interrupted',
          summary: `\`${job.command}\` was interrupted${how.check}. Its outcome is unknown: check the project's state, then run \`/plan\`.`,
        });
      }
      // A `/plan` stopped by a shutdown answered that itself (interrupted by a restart: comment `/plan` again).
      if (planCommand && answered(job)) continue;
      await postComment(
        ctx.octokit,
        repo,
        job.pr,
        `:warning: ${how.comment} It was marked interrupted and ${
          mutating ? 'will not be re-run automatically: its outcome is unknown. Check the state of the affected projects, then comment `/plan` and decide whether to `/apply` again.' : 'was not finished. Comment `/plan` to plan again.'
        }`,
      );
    } catch (error) {
      services.log.error({ err: error, jobId: job.id }, 'could not report an interrupted job on GitHub');
    }
  }
}

function describe(job: Job): string {
  if (job.kind === 'plan') return `the plan of ${job.headSha.slice(0, 7)}`;
  return isPlanCommand(job) ? `a \`/plan\`${job.headSha ? ` of ${job.headSha.slice(0, 7)}` : ''}` : `\`${job.command}\``;
}

function isPlanCommand(job: Job): boolean {
  const parsed = (job.payload as Partial<CommentCommandPayload> | null)?.parsed;
  return parsed?.kind === 'command' && parsed.command.name === 'plan';
}

/** Whether the command posted its answer before it stopped (its result is the answer it gave). */
function answered(job: Job): boolean {
  // A command job's result is its answer (CommandOutcome): `message` is the comment it posted.
  const result = job.result as { message?: unknown } | null;
  return typeof result?.message === 'string';
}
