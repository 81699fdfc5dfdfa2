import type { ApprovalEvaluation } from '../policy/approval-evaluation.js';
import { formatApprovalStatusLine, buildApprovalTable } from '../policy/format-approval-status.js';
import { formatPolicyError } from '../policy/owners-policy.js';
import { CHECK_APPROVAL, ensureCheckRun, type CheckConclusion, type HeadCheckRuns } from '../github/ensure-check-run.js';
import type { RepoRef } from '../github/repo-ref.js';
import type { JobContext } from './job-context.js';

/** How the approval check is written: through the job's check runs of the head (`checks`: not listed again), and as a new run on a Re-run. */
export interface ApprovalCheckWrite {
  checks?: HeadCheckRuns;
  /** Someone clicked "Re-run" on the check: a new run, even when the result is unchanged (EnsureCheckRunInput.rerun). */
  rerun?: boolean;
}

/**
 * `infra-review/approval` on the head SHA: success only when the policy is satisfied. Waiting for
 * reviews is `action_required`, an invalid policy or a change request is `failure`; both block merging
 * when the check is required, and neither is `neutral` (which branch protection would accept).
 */
export async function publishApprovalCheck(ctx: JobContext, repo: RepoRef, headSha: string, evaluation: ApprovalEvaluation, write: ApprovalCheckWrite = {}): Promise<void> {
  const invalid = evaluation.errors.length > 0;
  // No approval can make an unevaluable policy pass (more changed files than GitHub lists): a failure, like an invalid one.
  const unevaluable = evaluation.unevaluable !== undefined;
  const blocked = evaluation.requirements.some((requirement) => requirement.blockedBy.length > 0);
  const conclusion = evaluation.satisfied ? 'success' : invalid || unevaluable || blocked ? 'failure' : 'action_required';
  const title = evaluation.satisfied
    ? 'Approved'
    : invalid
      ? 'Invalid approval policy'
      : unevaluable
        ? 'Approval policy cannot be evaluated'
        : blocked
          ? 'Changes requested by an owner'
          : 'Waiting for approvals';
  const parts = [formatApprovalStatusLine(evaluation)];
  if (invalid) {
    parts.push(`The policy \`${evaluation.source.path ?? ''}\` on the base branch is invalid, so nothing can be approved until it is fixed:\n\n${evaluation.errors.map((error) => `- ${formatPolicyError(error)}`).join('\n')}`);
  }
  parts.push(buildApprovalTable(evaluation));
  if (evaluation.notes.length > 0) parts.push(evaluation.notes.map((note) => `- ${note}`).join('\n'));
  await writeApprovalCheck(ctx, repo, headSha, { conclusion, title, summary: parts.join('\n\n') }, write);
}

/** Writes the completed `infra-review/approval` run of `headSha`: the one place both its publishers write it. */
export async function writeApprovalCheck(
  ctx: JobContext,
  repo: RepoRef,
  headSha: string,
  output: { conclusion: CheckConclusion; title: string; summary: string },
  write: ApprovalCheckWrite = {},
): Promise<void> {
  const check = { name: CHECK_APPROVAL, status: 'completed', ...output, ...(write.rerun ? { rerun: true } : {}) } as const;
  if (write.checks && write.checks.headSha === headSha) await write.checks.ensure(check);
  else await ensureCheckRun(ctx.octokit, repo, { ...check, headSha, appId: ctx.app.id });
}
