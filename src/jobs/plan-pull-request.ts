import path from 'node:path';
import type { RiskLevel } from '../plan/analysis.js';
import { CONFIG_FILE, type InfraReviewConfig } from '../config/config-schema.js';
import type { ParseConfigResult } from '../config/parse-config.js';
import { formatConfigError } from '../config/config-error.js';
import { findAffectedProjects, findNamedProjects, type NamedProjectsResult } from '../projects/find-affected-projects.js';
import { isPolicyFile } from '../policy/policy-files.js';
import { approvalMetricOutcome, type ChangedFileInput } from '../policy/approval-evaluation.js';
import { formatApprovalStatusLine } from '../policy/format-approval-status.js';
import { renderPlanComment, renderPlanCheckSummary } from '../render/render-plan-comment.js';
import type { PlanCommentInput, ProjectPlanResult } from '../render/plan-comment-input.js';
import type { PlanRecord } from '../store/store.js';
import { applyCheckStatus } from '../commands/apply-check-status.js';
import { readApplyCheckFacts } from './read-apply-check-facts.js';
import { checkoutCommit, withWorkspace, type Workspace } from '../runner/index.js';
import type { RepoRef } from '../github/repo-ref.js';
import { listPrFiles, MAX_PR_FILES, type PrFileList } from '../github/list-pr-files.js';
import { ensurePlanComment, findPlanComments, type PlanComments } from '../github/ensure-plan-comment.js';
import { CHECK_APPLY, CHECK_PLAN, HeadCheckRuns } from '../github/ensure-check-run.js';
import type { JobContext } from './job-context.js';
import type { PlanJobPayload } from './job-payloads.js';
import { repoFullName } from './job-payloads.js';
import { evaluatePrApprovals } from './evaluate-pr-approvals.js';
import { publishApprovalCheck } from './publish-approval-check.js';
import { failApprovalCheck, refreshApprovals } from './refresh-approvals.js';
import { annotatePlanComment } from '../github/annotate-plan-comment.js';
import { planProject, type PlannedProject } from './plan-project.js';
import { BaseFileError, describeBaseFileError, fetchBaseCommit, readTrustedFiles, type PolicyFile, type TrustedFiles } from './read-base-files.js';
import {
  boundPlanResult,
  describeOversizedPlan,
  mergeHeadPlans,
  oversizedPlanResult,
  projectKey,
  publishedPlanResult,
  type OversizedPlanResult,
  type PlanJobProject,
  type PlanJobResult,
} from './head-plan-state.js';

export interface PlanPullRequestOptions {
  /**
   * Config and policy already read from the base branch's tip by the caller (`/plan`: the files it was
   * authorised and validated with), so that one base commit decides both and the base is fetched once.
   * Without them (an autoplan, a re-run) the plan fetches the base tip into its own workspace.
   */
  trusted?: TrustedFiles;
}

/**
 * The product's main loop for one PR head: read config and policy from the base branch, check out the
 * head, find the affected projects, plan each, analyse, evaluate approvals, publish one comment and the
 * checks. A cancelled job (a newer push) publishes nothing.
 */
export async function planPullRequest(ctx: JobContext, payload: PlanJobPayload, signal: AbortSignal, options: PlanPullRequestOptions = {}): Promise<PlanJobResult | OversizedPlanResult> {
  const { octokit } = ctx;
  const repo: RepoRef = { owner: payload.owner, repo: payload.repo };
  const repoName = repoFullName(payload);
  const log = ctx.log;
  const headSha = payload.headSha;
  const emptyResult = (outcome: PlanJobResult['outcome']): PlanJobResult => ({ outcome, headSha, files: [], projects: [] });
  // Every check of this head is written through one listing of our runs, made at the first write that needs
  // it (see HeadCheckRuns), and not even that when no earlier job of this PR saw the head (a new push).
  const earlier = await earlierJobs(ctx, payload);
  const checks = new HeadCheckRuns(octokit, repo, headSha, ctx.app.id, { noneYet: !earlier.sameHead });

  // 1. A new plan run for this job, at once (an earlier one of this head is completed, which GitHub would not
  // reopen, or its job is gone). Being the job's first request, it also fetches the installation token
  // through the client's auth hook, the one way that reaches a GHE host (see JobContext.installationToken).
  const planCheck = await checks.start({ name: CHECK_PLAN, status: 'in_progress', title: 'Planning', summary: `Planning ${headSha.slice(0, 7)}…` });

  // 2.-5. in a workspace that is gone before the results are published: once the apply check says
  // "waiting for /apply", the job is done, not still cleaning up.
  const prepared = await withWorkspace((workspace) => prepareAndPlan(ctx, { payload, signal, workspace, commentsExist: earlier.any, trusted: options.trusted }), {
    parentDir: path.join(ctx.services.settings.dataDir, 'workspaces'),
  });
  if (prepared.kind === 'invalid-config') {
    const list = prepared.parsed.errors.map((error) => `- ${formatConfigError(error)}`).join('\n');
    const summary = `\`${CONFIG_FILE}\` on \`${payload.baseRef}\` is invalid, so nothing was planned. Fix these problems on the base branch:\n\n${list}`;
    await checks.ensure({ name: CHECK_PLAN, status: 'completed', conclusion: 'failure', title: `Invalid ${CONFIG_FILE}`, summary });
    await ensurePlanComment(octokit, repo, payload.pr, [`### infra-review: configuration error\n\n${summary}`], { botLogin: ctx.botLogin });
    // The approval check must not stay pending (or green from an older head): it fails for the same reason.
    await refreshApprovals(ctx, payload, { trusted: { config: prepared.parsed, policyFile: null }, checks });
    return emptyResult('invalid-config');
  }
  if (prepared.kind === 'unreadable-base-file') {
    // Like an invalid config: the user's to fix on the base branch, reported on the PR, not a failed job.
    const { error } = prepared;
    log.warn({ repo: repoName, pr: payload.pr, headSha, file: error.path, problem: error.problem, err: error }, 'a config or policy file on the base branch is not readable; nothing planned');
    const problem = describeBaseFileError(error, payload.baseRef);
    const summary = `${problem}, so nothing was planned. Fix it on the base branch.`;
    await checks.ensure({ name: CHECK_PLAN, status: 'completed', conclusion: 'failure', title: `Unreadable ${error.path}`, summary });
    await ensurePlanComment(octokit, repo, payload.pr, [`### infra-review: configuration error\n\n${summary}`], { botLogin: ctx.botLogin });
    await failApprovalCheck(ctx, payload, { title: `Unreadable ${error.path}`, summary: `Approvals cannot be evaluated while ${problem}.` }, { checks });
    return emptyResult('unreadable-base-file');
  }
  if (prepared.kind === 'skipped') {
    await checks.ensure({ name: CHECK_PLAN, status: 'completed', conclusion: 'neutral', title: 'Not planned', summary: prepared.reason });
    await ensurePlanComment(octokit, repo, payload.pr, [`### infra-review: not planned\n\n${prepared.reason}`], { botLogin: ctx.botLogin });
    // Approvals still gate merging an unplanned PR: every changed file counts as part of a critical-risk project.
    await refreshApprovals(ctx, payload, { trusted: { config: { config: prepared.config }, policyFile: prepared.policyFile }, checks });
    return emptyResult('skipped');
  }
  const { config, policyFile, planComments, changedPaths, filesTruncated, notices, planned } = prepared;

  // Checked again before each publishing step: a newer push (or shutdown) during the GitHub writes,
  // which the client throttles to about one a second, must not publish a stale plan.
  const cancelled = () => {
    log.info({ repo: repoName, pr: payload.pr, headSha, reason: String(signal.reason ?? '') }, 'plan cancelled (newer push or shutdown); nothing more published');
    return emptyResult('cancelled');
  };
  if (signal.aborted) return cancelled();
  if (planned.unknown.length > 0) {
    notices.push(`Not planned: no project is named ${planned.unknown.join(', ')}.`);
  }

  // 6. The plan state of this head: this run's results over the plans published earlier for it (a
  // `/plan -p X` leaves the other projects' plans of this head as they were). From the store, no request.
  const own = ownResult(headSha, assignFiles(changedPaths, planned.fileProjects), planned.results, filesTruncated);
  // What the store will keep of it: beyond the store's bound, only that it was too large. Then (or when an
  // earlier plan of this head was too large) later readers cannot know the head's plan state, so `/apply`
  // refuses it: the comment and the apply check say so now, not after the first `/apply`.
  const stored = boundPlanResult(own);
  const { state, earlierOversized } = await headPlanState(ctx, payload, own);
  const oversized = stored.outcome === 'too-large' ? stored : earlierOversized;
  if (oversized) notices.push(`The plan is shown, but ${describeOversizedPlan(oversized)}: \`/apply\` refuses every project of this head.`);
  const thisRun = new Map(own.projects.map((project, index) => [project, (planned.results[index] as PlannedProject).result]));
  const earlierPlans = state.projects.some((project) => !thisRun.has(project)) ? await ctx.services.store.listPlans({ repo: repoName, pr: payload.pr, headSha }) : [];
  const shown = state.projects.map((project) => thisRun.get(project) ?? plannedEarlier(project, earlierPlans));

  // 7. Approvals, with the risk of each project's plan.
  const projectRisks: Record<string, RiskLevel> = {};
  for (const project of state.projects) if (project.risk) projectRisks[project.name] = project.risk;
  const evaluation = await evaluatePrApprovals(octokit, repo, {
    pr: payload.pr,
    baseRef: payload.baseRef,
    headSha,
    author: payload.author,
    config,
    changedFiles: state.files,
    changedFilesTruncated: state.filesTruncated === true,
    projectRisks,
    policyFile,
  });
  if (signal.aborted) return cancelled();
  await publishApprovalCheck(ctx, repo, headSha, evaluation, { checks });

  // 8. Publish: the sticky comment, the plan check, the apply check.
  const commentInput: PlanCommentInput = {
    repo: repoName,
    pr: payload.pr,
    headSha,
    projects: shown,
    // Wrapped in a named block so a later review updates just this line (annotatePlanComment).
    approvalStatus: approvalBlock(formatApprovalStatusLine(evaluation)),
    notices,
    checkRunUrl: planCheck.url,
  };
  if (signal.aborted) return cancelled();
  await ensurePlanComment(octokit, repo, payload.pr, renderPlanComment(commentInput, { withMarkers: false }), { botLogin: ctx.botLogin, ...(planComments ? { existing: planComments } : {}) });
  if (signal.aborted) return cancelled();
  const failed = shown.filter((project) => project.status === 'failed');
  const skipped = shown.filter((project) => project.status === 'skipped').length;
  const plannedCount = shown.length - failed.length - skipped;
  const check = renderPlanCheckSummary(commentInput);
  const noProjects = shown.length === 0;
  await checks.ensure({
    name: CHECK_PLAN,
    status: 'completed',
    conclusion: noProjects ? 'neutral' : failed.length > 0 ? 'failure' : 'success',
    title: noProjects
      ? 'No infrastructure changes'
      : failed.length > 0
        ? `${failed.length} of ${shown.length} projects failed to plan`
        : `${plannedCount} project${plannedCount === 1 ? '' : 's'} planned${skipped > 0 ? `, ${skipped} not planned` : ''}`,
    summary: check.summary,
    ...(check.text ? { text: check.text } : {}),
  });
  // The apply check by the one rule (applyCheckStatus): a project of this head not planned (autoplan off)
  // or failed keeps it from passing; a project applied from this head already (before a `/plan` of another
  // one) is not waiting any more; a rolled-back project waits for a plan made after its rollback.
  await checks.ensure({ name: CHECK_APPLY, ...applyCheckStatus(await readApplyCheckFacts(ctx.services.store, payload, oversized ?? state)) });
  ctx.services.metrics.approvalEvaluations.inc({ outcome: approvalMetricOutcome(evaluation) });

  return stored;
}

/** What this run planned, as stored in its job result (the head's state is merged from these when read). */
function ownResult(headSha: string, files: ChangedFileInput[], results: PlannedProject[], filesTruncated: boolean): PlanJobResult {
  return {
    outcome: 'published',
    headSha,
    files,
    ...(filesTruncated ? { filesTruncated: true } : {}),
    projects: results.map(
      (entry): PlanJobProject => ({
        name: entry.result.name,
        workspace: entry.result.workspace,
        dir: entry.project.dir,
        workflow: entry.project.workflow,
        varFiles: entry.project.varFiles,
        ...(entry.project.tool ? { tool: entry.project.tool } : {}),
        status: entry.result.status,
        ...(entry.result.analysis ? { risk: entry.result.analysis.risk.level } : {}),
        ...(entry.hasChanges !== undefined ? { hasChanges: entry.hasChanges } : {}),
        ...(entry.result.skippedReason ? { skippedReason: entry.result.skippedReason } : {}),
      }),
    ),
  };
}

/**
 * This run's result merged over the plans published earlier for the same head, in job order (this job
 * at its own place), exactly as later readers (`readHeadPlanState`) merge them. Without earlier plans of
 * the head, `own` itself: a new push costs one store query and no GitHub request. An earlier plan of the
 * head too large to store is returned apart: later readers then refuse the head's plan state.
 */
async function headPlanState(ctx: JobContext, payload: PlanJobPayload, own: PlanJobResult): Promise<{ state: PlanJobResult; earlierOversized?: OversizedPlanResult }> {
  const jobs = (await ctx.services.store.listPlanResults({ repo: repoFullName(payload), pr: payload.pr, headSha: own.headSha })).filter((job) => job.id !== ctx.jobId);
  const earlierOversized = jobs.map(oversizedPlanResult).find((result) => result?.headSha === own.headSha);
  const extra = earlierOversized ? { earlierOversized } : {};
  const earlier = jobs.flatMap((job) => {
    const result = publishedPlanResult(job);
    return result && result.headSha === own.headSha ? [{ id: job.id, result }] : [];
  });
  if (earlier.length === 0) return { state: own, ...extra };
  const ordered = [...earlier, { id: ctx.jobId ?? Number.POSITIVE_INFINITY, result: own }].sort((a, b) => a.id - b.id);
  const state = mergeHeadPlans(
    ordered.map((entry) => entry.result),
    own.headSha,
  ) as PlanJobResult;
  return { state, ...extra };
}

/**
 * A project of the head's plan state that this run did not plan: what the store keeps of its earlier plan
 * (summary and risk), shown without resource details; a failure or a skip as such.
 */
function plannedEarlier(project: PlanJobProject, plans: readonly PlanRecord[]): ProjectPlanResult {
  const base = { name: project.name, dir: project.dir, workspace: project.workspace };
  if (project.status === 'failed') {
    return {
      ...base,
      status: 'failed',
      error: { message: `The plan of ${project.name} failed in an earlier run at this commit, and this run did not plan it again. Comment /plan -p ${project.name} to plan it again and see why.` },
    };
  }
  if (project.status === 'skipped') return { ...base, status: 'skipped', skippedReason: project.skippedReason ?? 'not planned at this commit' };
  // plans: newest first; the newest usable plan of the project at this head is the one /apply applies.
  const record = plans.find((plan) => plan.project === project.name && plan.workspace === project.workspace && ['planned', 'applying', 'applied', 'apply-failed'].includes(plan.status));
  return { ...base, status: 'planned', plannedEarlier: { summary: record?.summary ?? null, risk: record?.risk ?? project.risk ?? null, hasChanges: project.hasChanges === true } };
}

type Prepared =
  | { kind: 'invalid-config'; parsed: Extract<ParseConfigResult, { errors: unknown }> }
  /** The config or the policy path on the base is there but not a readable file (a directory, a symlink, over 1 MB...). */
  | { kind: 'unreadable-base-file'; error: BaseFileError }
  | { kind: 'skipped'; reason: string; config: InfraReviewConfig; policyFile: PolicyFile | null }
  | {
      kind: 'planned';
      config: InfraReviewConfig;
      policyFile: PolicyFile | null;
      planComments: PlanComments | undefined;
      changedPaths: string[];
      /** GitHub listed its maximum of 3,000 files: `changedPaths` may miss some. */
      filesTruncated: boolean;
      notices: string[];
      planned: Awaited<ReturnType<typeof planAffectedProjects>>;
    };

/** Steps 2 to 5 of a plan job, in its workspace: base config and policy, the gates, the changed files, the plans. */
async function prepareAndPlan(
  ctx: JobContext,
  input: {
    payload: PlanJobPayload;
    signal: AbortSignal;
    workspace: Workspace;
    /** An earlier job of this PR may have written the sticky comment. */
    commentsExist: boolean;
    /** The caller's config and policy from the base (PlanPullRequestOptions.trusted); undefined: fetched here. */
    trusted: TrustedFiles | undefined;
  },
): Promise<Prepared> {
  const { payload, signal, workspace } = input;
  const { octokit, services } = ctx;
  const repo: RepoRef = { owner: payload.owner, repo: payload.repo };
  const headSha = payload.headSha;

  // 2. Config and policy from the base branch (over git; never the head): an invalid config plans nothing.
  // Nothing else here needs the base's objects (the head is fetched by SHA and the changed files come from
  // the API), so when the caller has read them (`/plan`), the base is not fetched again.
  const token = await ctx.installationToken();
  let trusted = input.trusted;
  if (!trusted) {
    const base = await fetchBaseCommit({ cloneUrl: payload.cloneUrl, branch: payload.baseRef, token, dir: workspace.repoDir, signal, baseEnv: services.settings.baseEnv });
    try {
      trusted = await readTrustedFiles(base);
    } catch (error) {
      if (error instanceof BaseFileError) return { kind: 'unreadable-base-file', error };
      throw error;
    }
  }
  const { config: parsed, policyFile } = trusted;
  if ('errors' in parsed) return { kind: 'invalid-config', parsed };
  const config = parsed.config;

  // 3. Gates: forks run the author's code with our credentials; drafts only when configured.
  const skipReason = payload.fromFork && !config.forks.allow
    ? 'This PR comes from a fork. Planning runs the PR\'s code with the app\'s credentials, so fork PRs are not planned unless `forks.allow: true` is set in the base branch config.'
    : payload.draft && payload.trigger === 'autoplan' && !config.drafts.plan
      ? 'This PR is a draft; it will be planned when it is marked ready for review (or comment `/plan`).'
      : undefined;
  if (skipReason) return { kind: 'skipped', reason: skipReason, config, policyFile };

  // Until this plan is published, the sticky comment shows an older commit's plan: say so at its top. Only an
  // earlier job of this PR can have written that comment: without one there is nothing to list or annotate.
  let planComments: PlanComments | undefined;
  if (input.commentsExist) {
    planComments = await findPlanComments(octokit, repo, payload.pr, { botLogin: ctx.botLogin });
    await annotatePlanComment(
      octokit,
      repo,
      payload.pr,
      'status',
      `:hourglass: **Planning ${headSha.slice(0, 7)}.** The plan below is for an older commit and is not current; it will be replaced when this plan finishes.`,
      { botLogin: ctx.botLogin, comments: planComments },
    );
  }

  // 4. Changed files; a change to the config or the policy takes effect only after merge.
  const fileList = await listPrFiles(octokit, repo, payload.pr);
  const notices: string[] = [];
  if (fileList.truncated) {
    const projects = payload.projects.length > 0 ? 'Every project counts as affected by it' : 'Every project is planned, so none is missed';
    notices.push(
      `GitHub lists no more than ${MAX_PR_FILES.toLocaleString('en-US')} changed files of a PR, and this PR reaches that limit: the files beyond it are unknown. ${projects}, ${
        policyFile
          ? `but the approval policy \`${policyFile.path}\` cannot be evaluated without them: \`infra-review/approval\` fails and \`/apply\` is refused. Split the PR.`
          : 'and the default approval rule (no policy file) applies to every file alike. Split the PR so every changed file can be reviewed.'
      }`,
    );
  }
  const changedPaths = [...new Set(fileList.files.flatMap((file) => (file.previous_filename ? [file.filename, file.previous_filename] : [file.filename])))];
  for (const changed of changedPaths) {
    if (changed === CONFIG_FILE || isPolicyFile(changed)) {
      notices.push(`This PR changes \`${changed}\`: the change takes effect after merge. This plan and its approvals use the version on \`${payload.baseRef}\`.`);
    }
  }

  // 5. Check out the head and plan every affected project.
  await checkoutCommit({ cloneUrl: payload.cloneUrl, sha: headSha, token, dir: workspace.repoDir, signal, baseEnv: services.settings.baseEnv });
  const planned = await planAffectedProjects(ctx, { payload, config, fileList, workspace, token, signal });
  return { kind: 'planned', config, policyFile, planComments, changedPaths, filesTruncated: fileList.truncated, notices, planned };
}

/** The projects the PR affects (or the ones named by `/plan -p`) in the checked-out head, each planned unless it cannot or must not be. */
async function planAffectedProjects(
  ctx: JobContext,
  input: { payload: PlanJobPayload; config: InfraReviewConfig; fileList: PrFileList; workspace: Workspace; token: string; signal: AbortSignal },
): Promise<{ results: PlannedProject[]; unknown: string[]; fileProjects: Map<string, string[]> }> {
  const { payload, config, fileList, workspace, token, signal } = input;
  const headSha = payload.headSha;
  const repoName = repoFullName(payload);
  const byName = payload.projects.length > 0;
  const affected = byName
    ? await findNamedProjects({ names: payload.projects, checkoutDir: workspace.repoDir, config, changedFiles: fileList.files, changedFilesTruncated: fileList.truncated })
    : await findAffectedProjects({ changedFiles: fileList.files, changedFilesTruncated: fileList.truncated, checkoutDir: workspace.repoDir, config });
  const results: PlannedProject[] = [];
  for (const project of affected.projects) {
    if (signal.aborted) break;
    const errors = affected.errors.filter((error) => error.project === project.name);
    if (errors.length > 0) {
      // An HCL error fails this project with file and line; the others still plan. The file is
      // repository-relative already (it may be in a module the project uses, outside project.dir).
      const message = errors.map((error) => `${error.file}:${error.line}:${error.column}: ${error.message}`).join('\n');
      results.push({ project, result: { name: project.name, dir: project.dir, workspace: project.workspace, status: 'failed', error: { message: `HCL syntax error:\n${message}` } } });
      continue;
    }
    if (!byName && payload.trigger === 'autoplan' && !project.autoplan) {
      results.push({ project, result: { name: project.name, dir: project.dir, workspace: project.workspace, status: 'skipped', skippedReason: `autoplan is off for this project; comment \`/plan -p ${project.name}\`` } });
      continue;
    }
    results.push(await planProject(ctx, { repo: repoName, pr: payload.pr, headSha, baseSha: payload.baseSha, project, config, workspace, token, signal }));
  }
  if (byName) {
    // A project the PR affects that this `/plan -p` did not name is still not planned by it: listed as
    // skipped, which keeps an earlier plan of it at this head (mergeHeadPlans) and otherwise keeps
    // `infra-review/apply` from passing until it is planned too.
    const named = new Set(affected.projects.map(projectKey));
    for (const other of (affected as NamedProjectsResult).fileOwners) {
      if (signal.aborted || named.has(projectKey(other))) continue;
      results.push({ project: other, result: { name: other.name, dir: other.dir, workspace: other.workspace, status: 'skipped', skippedReason: `not named by this \`/plan -p\`; comment \`/plan -p ${other.name}\`` } });
    }
  }
  const unknown = 'unknown' in affected ? (affected as NamedProjectsResult).unknown.map((entry) => `\`${entry.name}\`${entry.suggestion ? ` (did you mean \`${entry.suggestion}\`?)` : ''}`) : [];
  // Every changed file with the projects it affects, also those a `/plan -p` did not name: approvals use this mapping.
  const fileProjects = new Map<string, string[]>();
  for (const project of 'fileOwners' in affected ? (affected as NamedProjectsResult).fileOwners : affected.projects) {
    for (const file of project.files ?? []) fileProjects.set(file, [...(fileProjects.get(file) ?? []), project.name]);
  }
  return { results, unknown, fileProjects };
}

/**
 * What ran before on this PR, from the store (no request). Only a plan (or `/plan`) job writes the sticky
 * comment, so without an earlier one there is none to annotate yet (a just-opened PR); only a job that saw
 * this head (a plan, an approval after a review, a command) can have written check runs on it, so without
 * one there are none to look up (a new push). An unknown job id answers yes to both: a listing too many,
 * never a duplicate. History pruned after PLAN_RETENTION_DAYS answers no: the old comment then lacks the
 * "Planning…" line until this plan replaces it, and a check may get a second run, the newer one shown.
 */
async function earlierJobs(ctx: JobContext, payload: PlanJobPayload): Promise<{ any: boolean; sameHead: boolean }> {
  if (ctx.jobId === undefined) return { any: true, sameHead: true };
  const jobs = (await ctx.services.store.listJobSummaries({ repo: repoFullName(payload), pr: payload.pr })).filter((job) => job.id !== ctx.jobId && job.startedAt !== null);
  return {
    any: jobs.some((job) => job.kind === 'plan' || job.kind === 'command'),
    // Command jobs do not record a head (it is read when they run): count them as having seen it.
    sameHead: jobs.some((job) => job.headSha === payload.headSha || job.kind === 'command'),
  };
}

/** Each changed path once per project it affects (policy takes the highest risk); paths outside every project belong to none. */
function assignFiles(paths: string[], fileProjects: ReadonlyMap<string, string[]>): ChangedFileInput[] {
  return paths.flatMap((file): ChangedFileInput[] => {
    const projects = fileProjects.get(file) ?? [];
    return projects.length === 0 ? [{ path: file, project: null }] : projects.map((project) => ({ path: file, project }));
  });
}

/** The approval line inside the block `annotatePlanComment(..., 'approval', ...)` replaces after each review. */
export function approvalBlock(line: string): string {
  return `<!-- infra-review:approval -->\n${line}\n<!-- /infra-review:approval -->`;
}
