import path from 'node:path';
import type { InfraReviewConfig } from '../config/config-schema.js';
import { compareRisk } from '../plan/analysis.js';
import type { JobContext } from '../jobs/job-context.js';
import type { PullRequestRef } from '../jobs/job-payloads.js';
import { repoFullName } from '../jobs/job-payloads.js';
import { planProject, type ProjectTarget } from '../jobs/plan-project.js';
import { describeOversizedPlan, mergeHeadPlans, oversizedPlanResult, publishedPlanResults, readHeadPlanState, type OversizedPlanResult, type PlanJobResult } from '../jobs/head-plan-state.js';
import { readApplyCheckFacts } from '../jobs/read-apply-check-facts.js';
import { applyCheckStatus } from './apply-check-status.js';
import { refreshApprovals } from '../jobs/refresh-approvals.js';
import type { PolicyFile, TrustedFiles } from '../jobs/read-base-files.js';
import { CHECK_APPLY, ensureCheckRun } from '../github/ensure-check-run.js';
import { createTeamResolver } from '../github/resolve-team-members.js';
import { getCollaboratorPermission } from '../github/get-permission.js';
import { permissionAtLeast } from './authorize-command.js';
import { checkoutCommit, withWorkspace } from '../runner/index.js';
import { codeFence } from '../render/markdown-text.js';
import { applyPlan } from './apply-plan.js';
import { annotateApplied } from './annotate-applied.js';
import type { CommandResult } from './apply.js';

export interface RunRollbackInput {
  ref: PullRequestRef;
  config: InfraReviewConfig;
  /** The policy file read with `config` from the base commit (null: none there): who may confirm. */
  policyFile: PolicyFile | null;
  actor: string;
  projects: string[];
  confirm: boolean;
  signal: AbortSignal;
  /** `command`: `/rollback`; `apply_failure`: automatic, after a failed apply (never triggers another). */
  trigger: 'command' | 'apply_failure';
  failedApplyId?: number;
}

/**
 * Put projects back to their last known-good configuration: the commit of the project's last successful
 * apply before this PR's first apply, or, when there is none, the base commit this PR was planned on.
 * The rollback is planned first; above `rollback.max_risk` it waits for `/rollback --confirm` from an owner.
 * A failed rollback stops: failing check, a comment naming the state, an error log and metric for alerting.
 */
export async function runRollback(ctx: JobContext, input: RunRollbackInput): Promise<CommandResult> {
  const { ref, config } = input;
  const repo = { owner: ref.owner, repo: ref.repo };
  const repoName = repoFullName(ref);
  const { store, metrics } = ctx.services;
  const refuse = async (reason: string, body: string): Promise<CommandResult> => {
    await store.audit({ repo: repoName, pr: ref.pr, actor: input.actor, action: 'decision:rollback-refused', reason });
    return { ok: false, refused: true, body };
  };
  if (!config.rollback.enabled) return refuse('rollback disabled', ':no_entry: Rollback is turned off for this repository (`rollback.enabled: false`).');

  const applies = await store.listApplies({ repo: repoName, pr: ref.pr });
  // An apply the tool refused as stale changed nothing: there is nothing of it to roll back.
  const ofThisPr = applies.filter((apply) => apply.kind === 'apply' && apply.outcome !== 'stale');
  const names = [...new Set(ofThisPr.map((apply) => apply.project))].filter((name) => input.projects.length === 0 || input.projects.includes(name));
  if (names.length === 0) {
    return refuse('nothing applied', `:no_entry: \`/rollback\` refused: nothing from this PR has been applied${input.projects.length ? ` to ${input.projects.map((p) => `\`${p}\``).join(', ')}` : ''}, so there is nothing to roll back.`);
  }

  const sections: string[] = [];
  let allOk = true;
  let refusedAny = false;
  const token = await ctx.installationToken();
  for (const name of names) {
    const mine = ofThisPr.filter((apply) => apply.project === name);
    const first = mine.reduce((a, b) => (a.id < b.id ? a : b));
    const last = mine.reduce((a, b) => (a.id > b.id ? a : b));
    const workspaceName = last.workspace;
    const found = await findProjectTarget(ctx, ref, name, workspaceName, last.sha);
    if (!found.target) {
      sections.push(
        found.oversized
          ? `:x: **\`${name}\`**: its project definition (directory, workflow) is not known: ${describeOversizedPlan(found.oversized)}. Roll it back by hand.`
          : `:x: **\`${name}\`**: its project definition (directory, workflow) is no longer known; roll it back by hand.`,
      );
      allOk = false;
      continue;
    }
    const target = found.target;
    const prior = await store.lastSuccessfulApply(repoName, name, workspaceName, { beforeId: first.id });
    const appliedPlan = first.planId !== null ? await store.getPlan(first.planId) : undefined;
    const goodSha = prior?.sha ?? appliedPlan?.baseSha;
    if (!goodSha) {
      sections.push(`:x: **\`${name}\`**: no known-good commit was found (no earlier apply, no recorded base).`);
      allOk = false;
      continue;
    }
    const lock = await store.acquireLock({ repo: repoName, project: name, workspace: workspaceName, pr: ref.pr, holder: input.actor });
    if (!lock.acquired) {
      sections.push(`:no_entry: **\`${name}\`** is locked by PR #${lock.heldBy.pr} (@${lock.heldBy.holder}); not rolled back.`);
      refusedAny = true;
      continue;
    }
    const outcome = await withWorkspace(
      async (workspace) => {
        await checkoutCommit({ cloneUrl: ref.cloneUrl, sha: goodSha, token, dir: workspace.repoDir, signal: input.signal, baseEnv: ctx.services.settings.baseEnv });
        const planned = await planProject(ctx, { repo: repoName, pr: ref.pr, headSha: goodSha, baseSha: goodSha, project: target, config, workspace, token, signal: input.signal });
        const analysis = planned.result.analysis;
        const record = planned.record;
        if (!analysis || !planned.planFilePath || !record?.planfile) {
          return { kind: 'plan-failed' as const, message: planned.result.error?.message ?? 'the rollback plan failed' };
        }
        const level = analysis.risk.level;
        const summary = `rollback plan to ${goodSha.slice(0, 7)}: ${analysis.summary.add} to add, ${analysis.summary.change} to change, ${analysis.summary.destroy} to destroy; risk **${level}**`;
        if (compareRisk(level, config.rollback.max_risk) > 0) {
          const reasons = analysis.risk.reasons.map((reason) => `- ${reason}`).join('\n');
          const confirmed = input.confirm && (await isOwner(ctx, ref, input.actor, { config: { config }, policyFile: input.policyFile }));
          if (!confirmed) {
            // `--confirm` plans again: this plan of the known-good commit must never be left appliable.
            await store.updatePlan(record.id, { status: 'discarded' });
            return { kind: input.confirm ? ('not-owner' as const) : ('needs-confirm' as const), summary, reasons };
          }
        }
        const planBytes = await store.getPlanFile(record.planfile);
        const applied = await applyPlan(ctx, { kind: 'rollback', ref, project: target, plan: record, planBytes, workspace, config, actor: input.actor, token, signal: input.signal, rollbackOf: last.id });
        return { kind: 'applied' as const, summary, applied };
      },
      { parentDir: path.join(ctx.services.settings.dataDir, 'workspaces') },
    );

    switch (outcome.kind) {
      case 'plan-failed':
        allOk = false;
        reportFailedRollback(ctx, ref, name, input.trigger, outcome.message);
        sections.push(`:x: **\`${name}\`**: the rollback could not be planned. The project is in the state its last apply left it in.\n\n${codeFence(outcome.message)}`);
        break;
      case 'needs-confirm':
        refusedAny = true;
        sections.push(
          `:warning: **\`${name}\`**: ${outcome.summary}, above \`rollback.max_risk\` (${config.rollback.max_risk}).\n\n${outcome.reasons}\n\nReverting this change may destroy what the PR created (for example a database and its data). An owner must confirm with \`/rollback -p ${name} --confirm\`.`,
        );
        break;
      case 'not-owner':
        refusedAny = true;
        sections.push(`:no_entry: **\`${name}\`**: ${outcome.summary}. Only an owner of the changed files (INFRAOWNERS) may confirm a rollback above \`rollback.max_risk\`; @${input.actor} is not one.`);
        break;
      case 'applied': {
        const { applied } = outcome;
        if (applied.stale) {
          // The state changed between the rollback's plan and its apply: nothing was changed.
          metrics.rollbacks.inc({ outcome: 'stale', trigger: input.trigger });
          refusedAny = true;
          sections.push(
            `:warning: **\`${name}\`** was not rolled back: the state of \`${name}\` changed while the rollback was being planned, so the tool refused the rollback plan as stale and changed nothing. Comment \`/rollback -p ${name}\` to try again.\n\n${codeFence(applied.failure ?? 'Saved plan is stale')}`,
          );
          break;
        }
        metrics.rollbacks.inc({ outcome: applied.ok ? 'succeeded' : 'failed', trigger: input.trigger });
        if (applied.ok) {
          sections.push(
            `:leftwards_arrow_with_hook: **\`${name}\`** rolled back (${outcome.summary}). This PR's change to \`${name}\` is no longer live. Its plans made before the rollback can no longer be applied: to apply the change again, comment \`/plan -p ${name}\` (or push a commit), then \`/apply\`.\n\n<details><summary>Output</summary>\n\n${codeFence(applied.output || '(no output)')}\n\n</details>`,
          );
        } else {
          allOk = false;
          reportFailedRollback(ctx, ref, name, input.trigger, applied.failure ?? 'unknown error');
          sections.push(
            `:rotating_light: **\`${name}\`**: the rollback FAILED. The project is in an unknown, partly changed state: neither this PR's configuration nor ${goodSha.slice(0, 7)}. No further automatic action will be taken; an operator must inspect the state.\n\n${codeFence(applied.failure ?? '')}`,
          );
        }
        break;
      }
    }
  }

  await annotateApplied(ctx, ref);
  // The apply check by the one rule (applyCheckStatus), from the applies and rollbacks as recorded now: a
  // project rolled back waits for a new plan and /apply, a failed rollback fails the check, and a rollback
  // that did not happen (refused, not confirmed, not planned) leaves the check saying what is still live.
  const headPlan = await readHeadPlanState(store, ref);
  await ensureCheckRun(ctx.octokit, repo, { name: CHECK_APPLY, headSha: ref.headSha, appId: ctx.app.id, ...applyCheckStatus(await readApplyCheckFacts(store, ref, headPlan)) });
  return { ok: allOk && !refusedAny, refused: refusedAny && allOk, body: sections.join('\n\n') };
}

function reportFailedRollback(ctx: JobContext, ref: PullRequestRef, project: string, trigger: string, message: string): void {
  ctx.services.metrics.rollbacks.inc({ outcome: 'failed', trigger });
  // An alert-worthy event: a human must look at this project.
  ctx.log.error({ event: 'rollback_failed', repo: repoFullName(ref), pr: ref.pr, project, trigger, message: message.split('\n')[0] }, 'rollback failed; project left in an unknown state');
}

/**
 * The project's directory and workflow, from the plans published for this PR (autoplan and `/plan` alike):
 * the plan state of the applied head first, then the newest other plan that knows the project. When none
 * knows it, the newest plan result of the PR that was too large to store, if any (it may have held it).
 */
async function findProjectTarget(
  ctx: JobContext,
  ref: PullRequestRef,
  name: string,
  workspace: string,
  appliedSha: string,
): Promise<{ target: ProjectTarget; oversized?: undefined } | { target?: undefined; oversized?: OversizedPlanResult }> {
  const { store } = ctx.services;
  const query = { repo: repoFullName(ref), pr: ref.pr };
  const targetIn = (result: PlanJobResult | undefined): ProjectTarget | undefined => {
    const project = result?.projects.find((p) => p.name === name && p.workspace === workspace);
    if (project?.dir === undefined) return undefined;
    return { name, workspace, dir: project.dir, workflow: project.workflow ?? 'default', varFiles: project.varFiles ?? [], ...(project.tool ? { tool: project.tool } : {}) };
  };
  // The applied head's plans know the project (its apply came from one): other heads' results are read only when they do not.
  const atHead = targetIn(mergeHeadPlans(publishedPlanResults(await store.listPlanResults({ ...query, headSha: appliedSha })), appliedSha));
  if (atHead) return { target: atHead };
  const jobs = await store.listPlanResults(query);
  const newestFirst = publishedPlanResults(jobs)
    .filter((result) => result.headSha !== appliedSha)
    .reverse();
  for (const result of newestFirst) {
    const target = targetIn(result);
    if (target) return { target };
  }
  const oversized = [...jobs].sort((a, b) => b.id - a.id).map(oversizedPlanResult).find((result) => result !== undefined);
  return oversized ? { oversized } : {};
}

/** Whether `actor` owns any requirement of the PR's approval policy (named, or via a team). */
async function isOwner(ctx: JobContext, ref: PullRequestRef, actor: string, trusted: TrustedFiles): Promise<boolean> {
  const evaluation = await refreshApprovals(ctx, ref, { publish: false, trusted });
  if (!evaluation) return false;
  const login = actor.toLowerCase();
  const teams = createTeamResolver(ctx.octokit);
  for (const requirement of evaluation.requirements) {
    // The default rule ("any collaborator with write access") has no named owners: maintainers and admins own it.
    if (requirement.owners.length === 0 && permissionAtLeast(await getCollaboratorPermission(ctx.octokit, { owner: ref.owner, repo: ref.repo }, actor), 'maintain')) return true;
    for (const owner of requirement.owners) {
      if (!owner.startsWith('@')) continue;
      const name = owner.slice(1);
      const slash = name.indexOf('/');
      if (slash === -1 && name.toLowerCase() === login) return true;
      if (slash !== -1 && (await teams(name.slice(0, slash), name.slice(slash + 1))).some((member) => member.toLowerCase() === login)) return true;
    }
  }
  return false;
}

