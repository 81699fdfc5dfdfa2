import type { RiskLevel } from '../plan/analysis.js';
import { CONFIG_FILE } from '../config/config-schema.js';
import { formatConfigError } from '../config/config-error.js';
import { approvalMetricOutcome, type ChangedFileInput } from '../policy/approval-evaluation.js';
import { listPrFiles } from '../github/list-pr-files.js';
import { listReviews, type PrReview } from '../github/list-reviews.js';
import { CHECK_APPROVAL, type HeadCheckRuns } from '../github/ensure-check-run.js';
import type { ApprovalEvaluation } from '../policy/approval-evaluation.js';
import type { JobContext } from './job-context.js';
import type { PullRequestRef } from './job-payloads.js';
import { evaluatePrApprovals } from './evaluate-pr-approvals.js';
import { publishApprovalCheck, writeApprovalCheck, type ApprovalCheckWrite } from './publish-approval-check.js';
import { annotatePlanComment } from '../github/annotate-plan-comment.js';
import { formatApprovalStatusLine } from '../policy/format-approval-status.js';
import { describeOversizedPlan, readHeadPlanState } from './head-plan-state.js';
import { BaseFileError, describeBaseFileError, loadTrustedFiles, type TrustedFiles } from './read-base-files.js';

/** Stands for "a project whose plan is not known yet": its risk is missing, so it counts as critical. */
export const UNPLANNED_PROJECT = '(not planned yet)';

/**
 * Re-evaluate the approval policy of a PR head (after a review, or for `/apply`) and publish
 * `infra-review/approval`. File-to-project mapping and risks come from the plan state of that head;
 * without one (or when it was too large to store, which the check notes) every file counts as part of a
 * critical-risk project (fail closed).
 */
export async function refreshApprovals(
  ctx: JobContext,
  ref: PullRequestRef,
  options: {
    publish?: boolean;
    /** Config and policy as the caller read them from the base commit (readTrustedFiles); else fetched here over git. */
    trusted?: TrustedFiles;
    /** The caller's check runs of `ref.headSha`: the approval check is not looked up again. */
    checks?: HeadCheckRuns;
    /** Someone clicked "Re-run" on the approval check: the check gets a new run even when its result is unchanged. */
    rerun?: boolean;
    signal?: AbortSignal;
  } = {},
): Promise<ApprovalEvaluation | undefined> {
  const publish = options.publish ?? true;
  const repo = { owner: ref.owner, repo: ref.repo };
  let reviews: PrReview[] | undefined;
  let trusted = options.trusted;
  if (!trusted) {
    // The reviews first: as the job's first request it also fetches the installation token git needs (see
    // JobContext.installationToken); then config and policy from the base commit, over git, as every job reads them.
    reviews = await listReviews(ctx.octokit, repo, ref.pr);
    try {
      trusted = await loadTrustedFiles(ctx, ref, options.signal);
    } catch (error) {
      // A config or policy path that is not a readable file is the user's to fix: the check says so (as the plan job's does).
      if (!(error instanceof BaseFileError) || options.signal?.aborted) throw error;
      ctx.log.warn({ err: error, file: error.path, problem: error.problem }, 'a config or policy file on the base branch is not readable; approvals not evaluated');
      if (publish) {
        const why = `cannot be evaluated while ${describeBaseFileError(error, ref.baseRef)}`;
        await reportUnevaluable(ctx, ref, { title: `Unreadable ${error.path}`, summary: `Approvals ${why}.`, line: `❌ **Approvals:** ${why}.` }, options);
      }
      return undefined;
    }
  }
  const parsed = trusted.config;
  if ('errors' in parsed) {
    if (publish) {
      const summary = `Approvals cannot be evaluated while \`${CONFIG_FILE}\` on \`${ref.baseRef}\` is invalid:\n\n${parsed.errors.map((e) => `- ${formatConfigError(e)}`).join('\n')}`;
      const output = { title: `Invalid ${CONFIG_FILE}`, summary };
      // A plan job that read the config says so in its own comment; a review or Re-run read it here.
      if (options.trusted) await failApprovalCheck(ctx, ref, output, options);
      else await reportUnevaluable(ctx, ref, { ...output, line: `❌ **Approvals:** cannot be evaluated while \`${CONFIG_FILE}\` on \`${ref.baseRef}\` is invalid (see the \`${CHECK_APPROVAL}\` check).` }, options);
    }
    return undefined;
  }
  const plan = await readHeadPlanState(ctx.services.store, ref);
  let files: ChangedFileInput[];
  let filesTruncated: boolean;
  const projectRisks: Record<string, RiskLevel> = {};
  if (plan && plan.outcome !== 'too-large') {
    files = plan.files;
    filesTruncated = plan.filesTruncated === true;
    for (const project of plan.projects) if (project.risk) projectRisks[project.name] = project.risk;
  } else {
    const listed = await listPrFiles(ctx.octokit, repo, ref.pr);
    files = listed.files.flatMap((file) => (file.previous_filename ? [file.filename, file.previous_filename] : [file.filename])).map((path) => ({ path, project: UNPLANNED_PROJECT }));
    filesTruncated = listed.truncated;
  }
  const evaluation = await evaluatePrApprovals(ctx.octokit, repo, {
    pr: ref.pr,
    baseRef: ref.baseRef,
    headSha: ref.headSha,
    author: ref.author,
    config: parsed.config,
    changedFiles: files,
    changedFilesTruncated: filesTruncated,
    projectRisks,
    policyFile: trusted.policyFile,
    ...(reviews ? { reviews } : {}),
  });
  if (plan?.outcome === 'too-large') {
    // Failed closed above (every file as part of a critical-risk project): the check says why.
    const why = describeOversizedPlan(plan);
    evaluation.notes.push(`${why.charAt(0).toUpperCase()}${why.slice(1)}: the files and risks of its projects are not known, so every changed file counts as part of a critical-risk project.`);
  }
  ctx.services.metrics.approvalEvaluations.inc({ outcome: approvalMetricOutcome(evaluation) });
  if (publish) {
    await publishApprovalCheck(ctx, repo, ref.headSha, evaluation, options);
    // The plan comment's one-line approval status follows the check (only when a plan comment exists).
    if (plan) await annotatePlanComment(ctx.octokit, repo, ref.pr, 'approval', formatApprovalStatusLine(evaluation), { botLogin: ctx.botLogin });
  }
  return evaluation;
}

/**
 * Approvals cannot be evaluated (the base's rules cannot be used): the approval check fails, and the plan
 * comment's approval line says the same instead of the status from before (only when there is a plan comment).
 */
async function reportUnevaluable(ctx: JobContext, ref: PullRequestRef, output: { title: string; summary: string; line: string }, write: ApprovalCheckWrite): Promise<void> {
  await failApprovalCheck(ctx, ref, { title: output.title, summary: output.summary }, write);
  if (await readHeadPlanState(ctx.services.store, ref)) {
    await annotatePlanComment(ctx.octokit, { owner: ref.owner, repo: ref.repo }, ref.pr, 'approval', output.line, { botLogin: ctx.botLogin });
  }
}

/**
 * `infra-review/approval` failed because the base's rules cannot be used (an invalid config, a config or
 * policy path that is not a readable file): never left pending, nor green from an older head.
 */
export async function failApprovalCheck(ctx: JobContext, ref: PullRequestRef, output: { title: string; summary: string }, write: ApprovalCheckWrite = {}): Promise<void> {
  await writeApprovalCheck(ctx, { owner: ref.owner, repo: ref.repo }, ref.headSha, { conclusion: 'failure', ...output }, write);
}
