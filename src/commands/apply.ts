import picomatch from 'picomatch';
import type { InfraReviewConfig } from '../config/config-schema.js';
import type { JobContext } from '../jobs/job-context.js';
import type { PullRequestRef } from '../jobs/job-payloads.js';
import { repoFullName } from '../jobs/job-payloads.js';
import type { ProjectTarget } from '../jobs/plan-project.js';
import { refreshApprovals } from '../jobs/refresh-approvals.js';
import type { PolicyFile } from '../jobs/read-base-files.js';
import { describeOversizedPlan, readHeadPlanState } from '../jobs/head-plan-state.js';
import { readApplyCheckFacts } from '../jobs/read-apply-check-facts.js';
import type { PullRequestState } from '../github/get-pull-request.js';
import { compareCommits } from '../github/compare-commits.js';
import { CHECK_APPLY, CHECK_PLAN, HeadCheckRuns, ensureCheckRun } from '../github/ensure-check-run.js';
import { mergePullRequest } from '../github/merge-pull-request.js';
import { checkoutCommit, withWorkspace } from '../runner/index.js';
import { codeFence } from '../render/markdown-text.js';
import { formatApprovalStatusLine } from '../policy/format-approval-status.js';
import type { PlanRecord } from '../store/store.js';
import { PlanFileError } from '../store/store-errors.js';
import { APPLY_REQUIREMENTS, checkApplyRequirements, type UnmetRequirement } from './check-apply-requirements.js';
import { applyPlan } from './apply-plan.js';
import { runRollback } from './rollback.js';
import { annotateApplied } from './annotate-applied.js';
import { checkPlanSpent } from './check-plan-spent.js';
import { appliedAtHead, applyCheckStatus, describeNotPlanned, notPlannedAtHead } from './apply-check-status.js';
import path from 'node:path';

export interface CommandResult {
  ok: boolean;
  refused: boolean;
  body: string;
}

export interface RunApplyInput {
  ref: PullRequestRef;
  pr: PullRequestState;
  config: InfraReviewConfig;
  /** The policy file read with `config` from the base commit (null: none there). */
  policyFile: PolicyFile | null;
  /**
   * The base commit `config` and `policyFile` were read from: the base branch's tip, fetched over git at the
   * job's start (TrustedFilesAtCommit.baseSha). `undiverged` compares the plan's base with it.
   */
  baseSha: string;
  actor: string;
  projects: string[];
  signal: AbortSignal;
}

const IAC_FILES = picomatch(['**/*.tf', '**/*.tf.json', '**/*.tofu', '**/*.tfvars', '**/*.tfvars.json', '**/.terraform.lock.hcl', '*.tf', '*.tofu']);

/**
 * `/apply`: check every requirement for every target project, take the project locks, apply the saved
 * plans exactly, record deployments, update `infra-review/apply`, roll back on failure when configured,
 * and merge when every project is applied and `apply.automerge` is on.
 */
export async function runApply(ctx: JobContext, input: RunApplyInput): Promise<CommandResult> {
  const { ref, pr, config } = input;
  const repo = { owner: ref.owner, repo: ref.repo };
  const repoName = repoFullName(ref);
  const { store } = ctx.services;
  const refuse = async (reason: string, body: string): Promise<CommandResult> => {
    await store.audit({ repo: repoName, pr: ref.pr, actor: input.actor, action: 'decision:apply-refused', reason });
    return { ok: false, refused: true, body };
  };

  // 1. Targets: the projects of the current head's plan state (every plan published for this exact head,
  // autoplan and `/plan` alike) that have changes (or the ones named).
  const planned = await readHeadPlanState(store, ref);
  if (planned?.outcome === 'too-large') {
    // Fail closed: without the stored plan state the projects, files and risks of the head are unknown.
    return refuse('plan result too large', `:no_entry: \`/apply\` refused: ${describeOversizedPlan(planned)}.`);
  }
  const known = planned?.projects ?? [];
  const unknown = input.projects.filter((name) => !known.some((project) => project.name === name));
  if (!planned || unknown.length > 0) {
    const what = unknown.length > 0 ? unknown.map((name) => `\`${name}\``).join(', ') : 'this PR';
    return refuse('no plan for the current head', `:no_entry: \`/apply\` refused: there is no plan of ${what} for the current head ${ref.headSha.slice(0, 7)}.\n\nComment \`/plan\` and review the result first.`);
  }
  // Without `-p`, a project already applied from this head is not applied again: its saved plan is spent.
  const withChanges = known.filter((project) => project.hasChanges === true);
  const history = await store.listApplies({ repo: repoName, pr: ref.pr });
  const appliedBefore = input.projects.length > 0 ? new Set<string>() : appliedAtHead(history, withChanges.map((project) => project.name), ref.headSha);
  const targets = input.projects.length > 0 ? known.filter((project) => input.projects.includes(project.name)) : withChanges.filter((project) => !appliedBefore.has(project.name));
  // Affected projects without a plan at this head (autoplan off, or a failed plan): never "nothing to apply"
  // while they wait, by the same rule as `infra-review/apply` (applyCheckStatus).
  const unplanned = notPlannedAtHead(known);
  const notPlanned = describeNotPlanned(unplanned, ref.headSha);
  if (targets.length === 0) {
    if (notPlanned.length > 0) {
      const done = withChanges.length > 0 ? `Every planned project with changes was already applied from ${ref.headSha.slice(0, 7)}, but not` : 'Not';
      return refuse(
        `not planned at the head: ${[...unplanned.failed, ...unplanned.skipped].map((project) => project.name).join(', ')}`,
        `:no_entry: Nothing can be applied yet. ${done} every project this PR affects is planned at ${ref.headSha.slice(0, 7)}:\n\n${notPlanned.join('\n')}`,
      );
    }
    return {
      ok: true,
      refused: false,
      body: withChanges.length > 0
        ? `:white_check_mark: Nothing to apply: every project with changes was already applied from ${ref.headSha.slice(0, 7)}.`
        : ':white_check_mark: Nothing to apply: no project of this PR has changes.',
    };
  }

  // 2. The saved plans: the newest of each project at the head (a plan of another head only for the
  // plan_current refusal, or when that requirement is off). A spent one (applied, outdated by a later apply
  // or rollback of this PR, discarded) is refused before anything else, whatever the requirements say: only
  // a new plan can be applied, and the requirements are checked against that one.
  const enforced = Object.fromEntries(APPLY_REQUIREMENTS.map((name) => [name, config.apply.requirements[name] !== false])) as Record<(typeof APPLY_REQUIREMENTS)[number], boolean>;
  const plans = new Map<string, PlanRecord | undefined>();
  const spent: { project: string; problem: string; fix: string }[] = [];
  for (const target of targets) {
    const query = { repo: repoName, pr: ref.pr, project: target.name, workspace: target.workspace };
    const plan = (await store.latestPlan({ ...query, headSha: ref.headSha })) ?? (await store.latestPlan(query));
    plans.set(target.name, plan);
    if (!plan || (plan.headSha !== ref.headSha && enforced.plan_current)) continue;
    const problem = checkPlanSpent({ project: target.name, plan, history });
    if (problem) spent.push({ project: target.name, ...problem });
  }
  if (spent.length > 0) {
    const lines = spent.map((item) => `- :x: **\`${item.project}\`**: ${item.problem}.\n  ${item.fix}`);
    return refuse(
      `plan spent: ${spent.map((item) => `${item.project}: ${item.problem}`).join('; ')}`,
      `:no_entry: \`/apply\` refused; nothing was run. A saved plan can be applied once, and only to the state it was made from:\n\n${lines.join('\n')}`,
    );
  }

  // 3. Every requirement of every project, reported at once.
  // One listing of our checks on the head serves the approval check's update and the plan check's state.
  const checks = new HeadCheckRuns(ctx.octokit, repo, ref.headSha, ctx.app.id);
  const evaluation = enforced.approved ? await refreshApprovals(ctx, ref, { trusted: { config: { config }, policyFile: input.policyFile }, checks }) : undefined;
  const planCheck = await checks.latest(CHECK_PLAN);
  // Where the base branch is: the tip this job fetched over git and read the config and policy from, not a
  // second look through the REST API. The rules and the base `undiverged` checks are then one commit; a base
  // that moves after this fetch is not seen, as one that moves while the apply runs never was.
  const baseSha = input.baseSha;
  const otherDirs = known.map((project) => project.dir);
  const prepared: { target: ProjectTarget & { hasChanges?: boolean }; plan: PlanRecord; planBytes: Buffer }[] = [];
  const refusals: { project: string; unmet: UnmetRequirement[] }[] = [];
  for (const target of targets) {
    const plan = plans.get(target.name);
    let planBytes: Buffer | undefined;
    let planfileHashMatches: boolean | undefined;
    if (plan?.planfile) {
      try {
        planBytes = await store.getPlanFile(plan.planfile);
        planfileHashMatches = true;
      } catch (error) {
        if (!(error instanceof PlanFileError)) throw error;
        planfileHashMatches = false;
      }
    }
    let baseChangedFiles: string[] = [];
    if (enforced.undiverged && plan && plan.baseSha !== baseSha) {
      const comparison = await compareCommits(ctx.octokit, repo, plan.baseSha, baseSha);
      baseChangedFiles = comparison.truncated
        ? [`(more than ${comparison.files.length} files changed)`]
        : // A rename counts by both names: a file moved out of the project changes it as much as one moved in.
          comparison.files.flatMap((file) => (file.previous_filename ? [file.previous_filename, file.filename] : [file.filename])).filter((file) => affectsProject(file, target.dir, otherDirs));
    }
    const lock = await store.getLock({ repo: repoName, project: target.name, workspace: target.workspace });
    const unmet = checkApplyRequirements({
      project: target.name,
      enforced,
      pr: { number: ref.pr, state: pr.state, merged: pr.merged, headSha: ref.headSha },
      ...(plan ? { plan: { headSha: plan.headSha, status: plan.status, planfileHashMatches: plan.planfile ? planfileHashMatches : false } } : {}),
      planCheckConclusion: planCheck ? (planCheck.status === 'completed' ? planCheck.conclusion : null) : null,
      baseChangedFiles,
      approval: {
        satisfied: evaluation?.satisfied ?? !enforced.approved,
        statusLine: evaluation ? formatApprovalStatusLine(evaluation) : 'approvals could not be evaluated',
        ...(evaluation?.unevaluable !== undefined ? { unevaluable: evaluation.unevaluable } : {}),
      },
      lock: { heldByPr: lock?.pr ?? null, ...(lock ? { holder: lock.holder } : {}) },
    });
    if (unmet.length > 0) refusals.push({ project: target.name, unmet });
    else if (plan && planBytes) prepared.push({ target, plan, planBytes });
  }
  if (refusals.length > 0) {
    if (refusals.some(({ unmet }) => unmet.some((item) => item.requirement === 'locked'))) ctx.services.metrics.lockWaits.inc({ outcome: 'refused' });
    const lines = refusals.flatMap(({ project, unmet }) => [
      `**\`${project}\`**`,
      ...unmet.map((item) => `- :x: **${item.requirement}**: ${item.problem}.\n  ${item.fix}`),
    ]);
    return refuse(refusals.map((r) => `${r.project}: ${r.unmet.map((u) => u.requirement).join(', ')}`).join('; '), `:no_entry: \`/apply\` refused. Every requirement below must be met first:\n\n${lines.join('\n')}`);
  }

  // 4. Locks: atomic across replicas; a lost race names the winner. Locks taken now and not used are given back.
  const taken: typeof prepared = [];
  for (const item of prepared) {
    const lock = await store.acquireLock({ repo: repoName, project: item.target.name, workspace: item.target.workspace, pr: ref.pr, holder: input.actor });
    if (!lock.acquired) {
      for (const done of taken) await store.releaseLock({ repo: repoName, project: done.target.name, workspace: done.target.workspace, pr: ref.pr });
      ctx.services.metrics.lockWaits.inc({ outcome: 'refused' });
      return refuse(`locked by #${lock.heldBy.pr}`, `:no_entry: \`/apply\` refused: \`${item.target.name}\` is locked by PR #${lock.heldBy.pr} (@${lock.heldBy.holder}). Wait until it is applied and merged or closed.`);
    }
    ctx.services.metrics.lockWaits.inc({ outcome: 'acquired' });
    taken.push(item);
  }
  // Each saved plan is taken by this job in one statement (planned → applying): of two `/apply` of this PR at
  // once (two comments, two workers or replicas), both past the checks above, only one applies a plan, once.
  // Locks are not released on a refusal here: they are this PR's, and the other job holds them too.
  const claimed: typeof taken = [];
  for (const item of taken) {
    if (await store.claimPlanForApply(item.plan.id)) {
      claimed.push(item);
      continue;
    }
    for (const done of claimed) await store.updatePlan(done.plan.id, { status: 'planned' });
    return refuse(
      `the saved plan of ${item.target.name} is taken by another apply`,
      `:no_entry: \`/apply\` refused: the saved plan of \`${item.target.name}\` is being applied by another \`/apply\` of this PR, or was just used by one. Nothing was run; that command answers with the result.`,
    );
  }
  await store.audit({ repo: repoName, pr: ref.pr, actor: input.actor, action: 'decision:apply-allowed', reason: `applying ${taken.map((t) => t.target.name).join(', ')} at ${ref.headSha}` });

  // 5. Apply each project's saved plan in a fresh checkout of the planned commit.
  const token = await ctx.installationToken();
  const sections: string[] = [];
  let allOk = true;
  let changeFailed = false;
  await withWorkspace(
    async (workspace) => {
      await checkoutCommit({ cloneUrl: ref.cloneUrl, sha: ref.headSha, token, dir: workspace.repoDir, signal: input.signal, baseEnv: ctx.services.settings.baseEnv });
      for (const [index, item] of taken.entries()) {
        const name = item.target.name;
        const result = await applyPlan(ctx, { kind: 'apply', ref, project: item.target, plan: item.plan, planBytes: item.planBytes, workspace, config, actor: input.actor, token, signal: input.signal });
        if (result.ok) {
          sections.push(`:rocket: **\`${name}\`** applied.\n\n<details><summary>Output</summary>\n\n${codeFence(result.output || '(no output)')}\n\n</details>`);
          continue;
        }
        allOk = false;
        if (result.stale) {
          // Nothing was changed: not a failed change, so nothing to roll back.
          sections.push(
            `:warning: **\`${name}\`** was not applied: its saved plan is stale. The state of \`${name}\` changed after the plan was made (another PR's apply, a rollback, or a change outside infra-review), so the tool refused the plan and changed nothing; there is nothing to roll back.\n\n${codeFence(result.failure ?? 'Saved plan is stale')}\n\nComment \`/plan -p ${name}\` (or push a commit) to plan against the current state, review the new plan, then comment \`/apply\`.`,
          );
        } else {
          changeFailed = true;
          sections.push(`:x: **\`${name}\`** failed to apply:\n\n${codeFence(result.failure ?? 'unknown error')}`);
          if (config.rollback.on_failure) {
            const rollback = await runRollback(ctx, { ref, config, policyFile: input.policyFile, actor: input.actor, projects: [name], confirm: false, signal: input.signal, trigger: 'apply_failure', failedApplyId: result.record.id });
            sections.push(`**Automatic rollback of \`${name}\`:** ${rollback.body}`);
          }
        }
        if (index < taken.length - 1) sections.push('The remaining projects were not applied.');
        break;
      }
    },
    { parentDir: path.join(ctx.services.settings.dataDir, 'workspaces') },
  );

  await annotateApplied(ctx, ref);

  // 6. The apply check by the one rule (applyCheckStatus, from the applies as recorded now: the apply took
  // a while, another job may have written the check), with this apply's output when a change failed (a
  // stale plan changed nothing: the rule says to plan again); automerge only when that rule passes, so
  // never while an affected project is not planned at this head.
  const status = applyCheckStatus(await readApplyCheckFacts(store, ref, planned));
  await ensureCheckRun(ctx.octokit, repo, {
    name: CHECK_APPLY,
    headSha: ref.headSha,
    appId: ctx.app.id,
    ...(changeFailed ? { status: 'completed' as const, conclusion: 'failure' as const, title: 'Apply failed', summary: sections.join('\n\n') } : status),
  });
  const complete = allOk && status.status === 'completed' && status.conclusion === 'success';
  if (complete && config.apply.automerge) {
    const merged = await mergePullRequest(ctx.octokit, repo, ref.pr, { sha: ref.headSha, method: config.apply.merge_method ?? 'merge' });
    sections.push(merged.merged ? ':twisted_rightwards_arrows: Every project is applied: the PR was merged (`apply.automerge`).' : `:warning: Automerge did not merge the PR: ${merged.message}`);
  } else if (complete) {
    sections.push('Every project with changes is applied. Merge the PR to make `main` match what is deployed.');
  } else if (allOk && notPlanned.length > 0) {
    sections.push(`Not every project this PR affects is planned at ${ref.headSha.slice(0, 7)}, so \`infra-review/apply\` does not pass yet${config.apply.automerge ? ' and the PR is not merged' : ''}:\n\n${notPlanned.join('\n')}`);
  }
  // A stale plan is refused by the tool, not a failed change.
  return { ok: allOk, refused: !allOk && !changeFailed, body: sections.join('\n\n') };
}

/** A base-branch change matters to a project when it lies in the project's directory or is an IaC file outside every project (a shared module). */
function affectsProject(file: string, dir: string, projectDirs: string[]): boolean {
  const inside = (d: string) => d === '.' || file === d || file.startsWith(`${d.replace(/\/$/, '')}/`);
  if (inside(dir)) return true;
  if (!IAC_FILES(file)) return false;
  return !projectDirs.some((other) => other !== '.' && inside(other));
}

