import path from 'node:path';
import type { RiskLevel } from '../plan/analysis.js';
import { CONFIG_FILE } from '../config/config-schema.js';
import { parseConfig } from '../config/parse-config.js';
import { formatConfigError } from '../config/config-error.js';
import { findAffectedProjects, findNamedProjects, type NamedProjectsResult } from '../projects/find-affected-projects.js';
import { isPolicyFile } from '../policy/policy-files.js';
import type { ChangedFileInput } from '../policy/approval-evaluation.js';
import { formatApprovalStatusLine } from '../policy/format-approval-status.js';
import { renderPlanComment, renderPlanCheckSummary } from '../render/render-plan-comment.js';
import type { PlanCommentInput, ProjectPlanResult } from '../render/plan-comment-input.js';
import { checkoutCommit, withWorkspace } from '../runner/index.js';
import type { RepoRef } from '../github/repo-ref.js';
import { readRepoFile } from '../github/read-repo-file.js';
import { listPrFiles } from '../github/list-pr-files.js';
import { ensurePlanComment } from '../github/ensure-plan-comment.js';
import { CHECK_APPLY, CHECK_PLAN, ensureCheckRun } from '../github/ensure-check-run.js';
import type { JobContext } from './job-context.js';
import type { PlanJobPayload } from './job-payloads.js';
import { repoFullName } from './job-payloads.js';
import { evaluatePrApprovals } from './evaluate-pr-approvals.js';
import { publishApprovalCheck } from './publish-approval-check.js';
import { refreshApprovals } from './refresh-approvals.js';
import { annotatePlanComment } from '../github/annotate-plan-comment.js';
import { planProject, type PlannedProject } from './plan-project.js';

/** What the plan job leaves in the store (job result) for later approval evaluations and commands. */
export interface PlanJobResult {
  outcome: 'published' | 'skipped' | 'invalid-config' | 'cancelled';
  headSha: string;
  /** Changed files with the project each one belongs to (the riskiest, when several). */
  files: ChangedFileInput[];
  projects: {
    name: string;
    workspace: string;
    dir: string;
    workflow: string;
    varFiles: string[];
    tool?: 'tofu' | 'terraform';
    status: ProjectPlanResult['status'];
    risk?: RiskLevel;
    hasChanges?: boolean;
  }[];
}

/**
 * The product's main loop for one PR head: read config from the base branch, check out the head,
 * find the affected projects, plan each, analyse, evaluate approvals, publish one comment and the checks.
 * A cancelled job (a newer push) publishes nothing.
 */
export async function planPullRequest(ctx: JobContext, payload: PlanJobPayload, signal: AbortSignal): Promise<PlanJobResult> {
  const { octokit, services } = ctx;
  const repo: RepoRef = { owner: payload.owner, repo: payload.repo };
  const repoName = repoFullName(payload);
  const log = ctx.log;
  const appId = ctx.app.id;
  const headSha = payload.headSha;
  const emptyResult = (outcome: PlanJobResult['outcome']): PlanJobResult => ({ outcome, headSha, files: [], projects: [] });

  // 1. Config from the base branch: an invalid config plans nothing.
  const configText = await readRepoFile(octokit, repo, CONFIG_FILE, payload.baseRef);
  const parsed = parseConfig(configText, CONFIG_FILE);
  if ('errors' in parsed) {
    const list = parsed.errors.map((error) => `- ${formatConfigError(error)}`).join('\n');
    const summary = `\`${CONFIG_FILE}\` on \`${payload.baseRef}\` is invalid, so nothing was planned. Fix these problems on the base branch:\n\n${list}`;
    await ensureCheckRun(octokit, repo, { name: CHECK_PLAN, headSha, appId, status: 'completed', conclusion: 'failure', title: `Invalid ${CONFIG_FILE}`, summary });
    await ensurePlanComment(octokit, repo, payload.pr, [`### infra-review: configuration error\n\n${summary}`], { botLogin: ctx.botLogin });
    // The approval check must not stay pending (or green from an older head): it fails for the same reason.
    await refreshApprovals(ctx, payload, { config: parsed });
    return emptyResult('invalid-config');
  }
  const config = parsed.config;

  // 2. Gates: forks run the author's code with our credentials; drafts only when configured.
  const skipReason = payload.fromFork && !config.forks.allow
    ? 'This PR comes from a fork. Planning runs the PR\'s code with the app\'s credentials, so fork PRs are not planned unless `forks.allow: true` is set in the base branch config.'
    : payload.draft && payload.trigger === 'autoplan' && !config.drafts.plan
      ? 'This PR is a draft; it will be planned when it is marked ready for review (or comment `/plan`).'
      : undefined;
  if (skipReason) {
    await ensureCheckRun(octokit, repo, { name: CHECK_PLAN, headSha, appId, status: 'completed', conclusion: 'neutral', title: 'Not planned', summary: skipReason });
    await ensurePlanComment(octokit, repo, payload.pr, [`### infra-review: not planned\n\n${skipReason}`], { botLogin: ctx.botLogin });
    // Approvals still gate merging an unplanned PR: every changed file counts as part of a critical-risk project.
    await refreshApprovals(ctx, payload, { config: parsed });
    return emptyResult('skipped');
  }

  const planCheck = await ensureCheckRun(octokit, repo, {
    name: CHECK_PLAN,
    headSha,
    appId,
    status: 'in_progress',
    title: 'Planning',
    summary: `Planning ${headSha.slice(0, 7)}…`,
  });
  // Until this plan is published, the sticky comment (if any) shows an older commit's plan: say so at its top.
  await annotatePlanComment(
    octokit,
    repo,
    payload.pr,
    'status',
    `:hourglass: **Planning ${headSha.slice(0, 7)}.** The plan below is for an older commit and is not current; it will be replaced when this plan finishes.`,
    { botLogin: ctx.botLogin },
  );

  // 3. Changed files; a change to the config or the policy takes effect only after merge.
  const fileList = await listPrFiles(octokit, repo, payload.pr);
  const notices: string[] = [];
  if (fileList.truncated) {
    notices.push(`GitHub lists at most ${fileList.files.length} changed files of a PR; files beyond that were not considered. Split this PR to plan every project.`);
  }
  const changedPaths = [...new Set(fileList.files.flatMap((file) => (file.previous_filename ? [file.filename, file.previous_filename] : [file.filename])))];
  for (const changed of changedPaths) {
    if (changed === CONFIG_FILE || isPolicyFile(changed)) {
      notices.push(`This PR changes \`${changed}\`: the change takes effect after merge. This plan and its approvals use the version on \`${payload.baseRef}\`.`);
    }
  }

  // 4. Check out the head and plan every affected project.
  const token = await ctx.installationToken();
  const planned = await withWorkspace(
    async (workspace) => {
      await checkoutCommit({ cloneUrl: payload.cloneUrl, sha: headSha, token, dir: workspace.repoDir, signal, baseEnv: services.settings.baseEnv });
      const byName = payload.projects.length > 0;
      const affected = byName
        ? await findNamedProjects({ names: payload.projects, checkoutDir: workspace.repoDir, config })
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
      const unknown = 'unknown' in affected ? (affected as NamedProjectsResult).unknown.map((entry) => `\`${entry.name}\`${entry.suggestion ? ` (did you mean \`${entry.suggestion}\`?)` : ''}`) : [];
      const fileProjects = new Map<string, string[]>();
      for (const project of affected.projects) {
        for (const file of project.files ?? []) fileProjects.set(file, [...(fileProjects.get(file) ?? []), project.name]);
      }
      return { results, unknown, fileProjects };
    },
    { parentDir: path.join(services.settings.dataDir, 'workspaces') },
  );

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

  // 5. Approvals, with the risk of each project's plan.
  const projectRisks: Record<string, RiskLevel> = {};
  for (const { result } of planned.results) {
    if (result.analysis) projectRisks[result.name] = result.analysis.risk.level;
  }
  const files = assignFiles(changedPaths, planned.fileProjects);
  const evaluation = await evaluatePrApprovals(octokit, repo, {
    pr: payload.pr,
    baseRef: payload.baseRef,
    headSha,
    author: payload.author,
    config,
    changedFiles: files,
    projectRisks,
  });
  if (signal.aborted) return cancelled();
  await publishApprovalCheck(ctx, repo, headSha, evaluation);

  // 6. Publish: the sticky comment, the plan check, the apply check.
  const commentInput: PlanCommentInput = {
    repo: repoName,
    pr: payload.pr,
    headSha,
    projects: planned.results.map((entry) => entry.result),
    // Wrapped in a named block so a later review updates just this line (annotatePlanComment).
    approvalStatus: approvalBlock(formatApprovalStatusLine(evaluation)),
    notices,
    checkRunUrl: planCheck.url,
  };
  if (signal.aborted) return cancelled();
  await ensurePlanComment(octokit, repo, payload.pr, renderPlanComment(commentInput, { withMarkers: false }), { botLogin: ctx.botLogin });
  if (signal.aborted) return cancelled();
  const failed = planned.results.filter((entry) => entry.result.status === 'failed');
  const check = renderPlanCheckSummary(commentInput);
  const noProjects = planned.results.length === 0;
  await ensureCheckRun(octokit, repo, {
    name: CHECK_PLAN,
    headSha,
    appId,
    status: 'completed',
    conclusion: noProjects ? 'neutral' : failed.length > 0 ? 'failure' : 'success',
    title: noProjects
      ? 'No infrastructure changes'
      : failed.length > 0
        ? `${failed.length} of ${planned.results.length} projects failed to plan`
        : `${planned.results.length} project${planned.results.length === 1 ? '' : 's'} planned`,
    summary: check.summary,
    ...(check.text ? { text: check.text } : {}),
  });
  const pendingApply = planned.results.filter((entry) => entry.hasChanges).map((entry) => entry.result.name);
  await ensureCheckRun(octokit, repo, {
    name: CHECK_APPLY,
    headSha,
    appId,
    ...(pendingApply.length > 0
      ? { status: 'queued' as const, title: 'Waiting for /apply', summary: `Projects with changes to apply: ${pendingApply.map((name) => `\`${name}\``).join(', ')}. Comment \`/apply\` once approved.` }
      : { status: 'completed' as const, conclusion: 'success' as const, title: 'Nothing to apply', summary: 'No project of this PR has changes to apply.' }),
  });
  services.metrics.approvalEvaluations.inc({ outcome: evaluation.errors.length > 0 ? 'invalid_policy' : evaluation.satisfied ? 'satisfied' : 'pending' });

  return {
    outcome: 'published',
    headSha,
    files,
    projects: planned.results.map((entry) => ({
      name: entry.result.name,
      workspace: entry.result.workspace,
      dir: entry.project.dir,
      workflow: entry.project.workflow,
      varFiles: entry.project.varFiles,
      ...(entry.project.tool ? { tool: entry.project.tool } : {}),
      status: entry.result.status,
      ...(entry.result.analysis ? { risk: entry.result.analysis.risk.level } : {}),
      ...(entry.hasChanges !== undefined ? { hasChanges: entry.hasChanges } : {}),
    })),
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
