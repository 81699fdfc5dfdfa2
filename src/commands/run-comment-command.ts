import type { JobContext } from '../jobs/job-context.js';
import type { CommentCommandPayload, PullRequestRef } from '../jobs/job-payloads.js';
import { repoFullName } from '../jobs/job-payloads.js';
import { getPullRequest } from '../github/get-pull-request.js';
import { getCollaboratorPermission } from '../github/get-permission.js';
import { createTeamResolver } from '../github/resolve-team-members.js';
import { addReaction } from '../github/add-reaction.js';
import { postComment } from '../github/post-comment.js';
import { CONFIG_FILE } from '../config/config-schema.js';
import { formatConfigError } from '../config/config-error.js';
import { plainText } from '../render/markdown-text.js';
import { authorizeCommand } from './authorize-command.js';
import { renderHelp } from './render-help.js';
import { planPullRequest } from '../jobs/plan-pull-request.js';
import type { OversizedPlanResult, PlanJobResult } from '../jobs/head-plan-state.js';
import { runApply } from './apply.js';
import { runRollback } from './rollback.js';
import { runUnlock } from './unlock.js';
import { JobStoppedError, type StopReason } from '../jobs/job-queue.js';
import { BaseFileError, loadTrustedFiles, type TrustedFilesAtCommit } from '../jobs/read-base-files.js';

/** What the `command` job stores as its result. */
export interface CommandOutcome {
  command: string;
  outcome: 'succeeded' | 'refused' | 'failed';
  message?: string;
  /** `/plan`: what it planned and published for the head, merged with the head's other plans when read (readHeadPlanState). */
  plan?: PlanJobResult | OversizedPlanResult;
}

/**
 * Runs one slash command from a PR comment: authorise, dispatch, answer. Every command answers in its
 * own comment and ends with 🚀 (done) or 😕 (refused or failed); every decision is audited.
 */
export async function runCommentCommand(ctx: JobContext, payload: CommentCommandPayload, signal: AbortSignal): Promise<CommandOutcome> {
  const repo = { owner: payload.owner, repo: payload.repo };
  const repoName = repoFullName(payload);
  const { store, metrics } = ctx.services;
  const answer = async (outcome: CommandOutcome['outcome'], body: string, command: string): Promise<CommandOutcome> => {
    await postComment(ctx.octokit, repo, payload.pr, body);
    await addReaction(ctx.octokit, repo, payload.commentId, outcome === 'succeeded' ? 'rocket' : 'confused');
    metrics.commands.inc({ command, outcome });
    return { command, outcome, message: body };
  };

  // A job lost its lease: another replica declared it abandoned, marked it interrupted and reported it
  // (reportInterruptedJobs: 'Plan interrupted' on the plan check and a comment to `/plan` again). Its result
  // is never stored, so that report cannot see an answer of ours: a second comment would only repeat it.
  const lostPlan = async (): Promise<CommandOutcome> => {
    await addReaction(ctx.octokit, repo, payload.commentId, 'confused');
    metrics.commands.inc({ command: 'plan', outcome: 'failed' });
    return { command: 'plan', outcome: 'failed' };
  };

  const parsed = payload.parsed;
  if (parsed.kind !== 'command') {
    const problem = parsed.kind === 'invalid' ? parsed.problem : 'not a command';
    await store.audit({ repo: repoName, pr: payload.pr, actor: payload.actor, action: 'command:invalid', reason: problem });
    return answer('refused', `:confused: ${problem}.\n\n${renderHelp()}`, parsed.kind === 'invalid' ? (parsed.name ?? 'unknown') : 'unknown');
  }
  const command = parsed.command;
  const label = `/${command.name}${command.projects.map((p) => ` -p ${p}`).join('')}${command.confirm ? ' --confirm' : ''}`;
  await store.audit({ repo: repoName, pr: payload.pr, actor: payload.actor, action: `command:/${command.name}`, reason: label, details: { commentId: payload.commentId } });
  if (command.name === 'help') return answer('succeeded', renderHelp(), 'help');

  const pr = await getPullRequest(ctx.octokit, repo, payload.pr);
  const ref: PullRequestRef = {
    installationId: payload.installationId,
    owner: payload.owner,
    repo: payload.repo,
    pr: payload.pr,
    headSha: pr.headSha,
    baseRef: pr.baseRef,
    baseSha: pr.baseSha,
    cloneUrl: payload.cloneUrl,
    author: pr.author,
    fromFork: pr.fromFork,
    draft: pr.draft,
  };
  // `/apply` and `/rollback` are judged by the rules on the PR's base branch: only the default branch's are
  // trusted. A writer can push any other branch with rules of their own (no approvals, anyone may apply) and
  // open the PR into it. Refused before those rules are even read.
  if ((command.name === 'apply' || command.name === 'rollback') && (pr.defaultBranch === undefined || pr.baseRef !== pr.defaultBranch)) {
    const reason = pr.defaultBranch === undefined ? `the default branch of the repository is not known (base ${pr.baseRef})` : `base ${pr.baseRef} is not the default branch ${pr.defaultBranch}`;
    await store.audit({ repo: repoName, pr: payload.pr, actor: payload.actor, action: `decision:${command.name}-refused`, reason });
    const into = pr.defaultBranch === undefined ? 'GitHub did not name the repository\'s default branch' : `this PR is into \`${pr.baseRef}\`, not the default branch \`${pr.defaultBranch}\``;
    return answer(
      'refused',
      `:no_entry: \`${label}\` refused: ${into}. infra-review applies and rolls back only PRs into the default branch: the rules that decide (\`${CONFIG_FILE}\` and INFRAOWNERS) are read from the PR's base branch, and anyone who can push could write another branch's rules. Nothing was changed.`,
      command.name,
    );
  }
  // Config and policy from the base branch's tip, over git, as the autoplan reads them (never the head, never
  // the contents API). getPullRequest above was the job's first request: the installation token is cached.
  // This one base commit decides the whole command: `/plan` plans with these files (the base is not fetched
  // again, so a push to the base meanwhile cannot swap the rules), `/apply` checks `undiverged` against it (trusted.baseSha).
  let trusted: TrustedFilesAtCommit;
  try {
    trusted = await loadTrustedFiles(ctx, ref, signal);
  } catch (error) {
    // Stopped (shutdown): the queue reports the job as interrupted, as for any other step.
    if (signal.aborted) throw error;
    // Nothing is decided without the base's rules. A file that is there but unreadable is the user's to fix.
    if (error instanceof BaseFileError) ctx.log.warn({ err: error, command: label }, 'a config or policy file on the base branch is not readable');
    else ctx.log.error({ err: error, command: label }, 'could not read config and policy from the base branch');
    await store.audit({ repo: repoName, pr: payload.pr, actor: payload.actor, action: `decision:${command.name}-failed`, reason: 'base files unreadable' });
    const why = error instanceof BaseFileError ? `on \`${pr.baseRef}\`, ${plainText(error.message)}. Fix it on the base branch first.` : `the config and policy on \`${pr.baseRef}\` could not be read. The error is in the infra-review logs (job ${repoName}#${payload.pr}).`;
    return answer('failed', `:x: \`${label}\` failed: ${why} Nothing was changed.`, command.name);
  }
  const parsedConfig = trusted.config;
  if ('errors' in parsedConfig) {
    const list = parsedConfig.errors.map((error) => `- ${formatConfigError(error)}`).join('\n');
    await store.audit({ repo: repoName, pr: payload.pr, actor: payload.actor, action: `decision:${command.name}-refused`, reason: 'invalid config' });
    return answer('refused', `:no_entry: \`${label}\` refused: \`${CONFIG_FILE}\` on \`${pr.baseRef}\` is invalid. Fix it on the base branch first:\n\n${list}`, command.name);
  }
  const config = parsedConfig.config;

  const allowed = command.name === 'apply' ? config.apply.allowed : command.name === 'rollback' ? config.rollback.allowed : [];
  const auth = await authorizeCommand({
    command: command.name,
    actor: payload.actor,
    permission: await getCollaboratorPermission(ctx.octokit, repo, payload.actor),
    allowed,
    teamMembers: createTeamResolver(ctx.octokit),
    actorIsForkAuthor: pr.fromFork && pr.author.toLowerCase() === payload.actor.toLowerCase(),
  });
  if (!auth.allowed) {
    await store.audit({ repo: repoName, pr: payload.pr, actor: payload.actor, action: `decision:${command.name}-refused`, reason: auth.reason });
    return answer('refused', `:no_entry: \`${label}\` refused: ${auth.reason}`, command.name);
  }

  try {
    switch (command.name) {
      case 'plan': {
        if (pr.state !== 'open') return answer('refused', `:no_entry: \`${label}\` refused: the PR is ${pr.merged ? 'merged' : 'closed'}.`, 'plan');
        // This job now plans pr.headSha: a newer push supersedes it like an autoplan (it then publishes nothing
        // for the old head), and one that came since the comment already has.
        const cancelledByPush = `:warning: \`${label}\` was cancelled by a newer push; the new head is planned automatically.`;
        // Stopped by the server shutting down (or restarting), not by a push: nothing replans this head on its own.
        const stopped = () => (stopReason(signal) === 'shutdown' ? interruptedByRestart(label) : cancelledByPush);
        if (ctx.jobId === undefined) await store.supersedePlanJobs({ repo: repoName, pr: payload.pr, headSha: pr.headSha });
        else if ((await store.startPlanCommand({ jobId: ctx.jobId, repo: repoName, pr: payload.pr, headSha: pr.headSha })).outdatedBy !== undefined) return answer('failed', cancelledByPush, 'plan');
        const result = await planPullRequest(ctx, { ...ref, trigger: 'command', projects: command.projects, commentId: payload.commentId, actor: payload.actor }, signal, { trusted });
        if (result.outcome === 'cancelled') return { ...(stopReason(signal) === 'lost' ? await lostPlan() : await answer('failed', stopped(), 'plan')), plan: result };
        await addReaction(ctx.octokit, repo, payload.commentId, 'rocket');
        metrics.commands.inc({ command: 'plan', outcome: 'succeeded' });
        return { command: 'plan', outcome: 'succeeded', plan: result };
      }
      case 'apply': {
        const result = await runApply(ctx, { ref, pr, config, policyFile: trusted.policyFile, baseSha: trusted.baseSha, actor: payload.actor, projects: command.projects, signal });
        return answer(result.ok ? 'succeeded' : result.refused ? 'refused' : 'failed', result.body, 'apply');
      }
      case 'rollback': {
        // A rollback returns a project to before this PR's first apply: after the PR is merged (or closed) that
        // would also undo what later PRs applied, under none of their approvals, and take a lock nothing releases.
        if (pr.state !== 'open') {
          const state = pr.merged ? 'merged' : 'closed';
          await store.audit({ repo: repoName, pr: payload.pr, actor: payload.actor, action: 'decision:rollback-refused', reason: `the PR is ${state}` });
          return answer(
            'refused',
            `:no_entry: \`${label}\` refused: the PR is ${state}. A rollback returns a project to the state before this PR's first apply, which would also undo what later PRs applied. Open a PR that reverts the change instead: its plan shows what it undoes. Nothing was changed.`,
            'rollback',
          );
        }
        const result = await runRollback(ctx, { ref, config, policyFile: trusted.policyFile, actor: payload.actor, projects: command.projects, confirm: command.confirm, signal, trigger: 'command' });
        return answer(result.ok ? 'succeeded' : result.refused ? 'refused' : 'failed', result.body, 'rollback');
      }
      case 'unlock': {
        const result = await runUnlock(ctx, { ref, actor: payload.actor, projects: command.projects });
        return answer('succeeded', result.body, 'unlock');
      }
    }
  } catch (error) {
    // A `/plan` stopped by a newer push in the middle of a step (e.g. the checkout) is no failure either.
    if (command.name === 'plan' && stopReason(signal) === 'superseded') {
      return answer('failed', `:warning: \`${label}\` was cancelled by a newer push; the new head is planned automatically.`, 'plan');
    }
    // ...nor is one whose job was lost: the interrupted-job report already answered it.
    if (command.name === 'plan' && stopReason(signal) === 'lost') return lostPlan();
    // ...nor is one stopped by a shutdown: it says so and what to type, instead of "failed unexpectedly".
    if (command.name === 'plan' && stopReason(signal) === 'shutdown') return answer('failed', interruptedByRestart(label), 'plan');
    ctx.log.error({ err: error, command: label }, 'command failed');
    await store.audit({ repo: repoName, pr: payload.pr, actor: payload.actor, action: `decision:${command.name}-failed`, reason: error instanceof Error ? error.message : String(error) });
    return answer('failed', `:x: \`${label}\` failed unexpectedly. The error is in the infra-review logs (job ${repoName}#${payload.pr}); nothing further was changed.`, command.name);
  }
}

/** Why the job's signal stopped it, when the queue stopped it (a newer push, a shutdown, a lost lease). */
function stopReason(signal: AbortSignal): StopReason | undefined {
  return signal.aborted && signal.reason instanceof JobStoppedError ? signal.reason.reason : undefined;
}

/** The answer of a `/plan` that the server's shutdown (a restart, a deploy) stopped before it finished. */
function interruptedByRestart(label: string): string {
  return `:warning: \`${label}\` was interrupted by a restart of infra-review before it finished; its plan was not published. Comment \`${label}\` again to plan the head.`;
}
