/**
 * What `infra-review/apply` says for a PR head, from what the store knows (pure): which projects of the
 * head's plan have changes, and this PR's applies and rollbacks. Used when someone re-runs the apply
 * check, which must only republish this status and never apply anything.
 */

import { describeOversizedPlan } from '../jobs/head-plan-state.js';

/** One apply or rollback of the PR, as the store records it. */
export interface ApplyHistoryEntry {
  id: number;
  kind: 'apply' | 'rollback';
  project: string;
  /** An apply: the commit applied; a rollback: the commit whose state it restores. */
  sha: string;
  /** `stale`: the tool refused the saved plan as stale and changed nothing. */
  outcome: 'running' | 'succeeded' | 'failed' | 'interrupted' | 'stale';
  /** A rollback: the apply it undoes. */
  rollbackOf: number | null;
  /** The plan record applied (a rollback: the plan made of the known-good commit, just before it ran). */
  planId?: number | null;
}

/** A project of the head's plan state, as far as the apply check needs it. */
export interface ApplyCheckProject {
  name: string;
  /** `skipped`: not planned at this head (autoplan is off for it); `failed`: its plan failed. */
  status: 'planned' | 'failed' | 'skipped';
  hasChanges?: boolean;
  skippedReason?: string;
  /**
   * The id of the newest plan record of the project at this head (plan ids only grow). Compared with a
   * rollback's `planId`, it tells whether the head's plan of a rolled-back project was made before the
   * rollback (stale: planned against the state the rollback replaced) or after it. Unknown: before.
   */
  planId?: number;
}

export interface ApplyCheckFacts {
  headSha: string;
  /** Projects of the head's plan state (every plan published for it, merged); undefined when none is recorded. */
  planned: readonly ApplyCheckProject[] | undefined;
  /** This PR's applies and rollbacks, newest first. */
  history: readonly ApplyHistoryEntry[];
  /** Set when a plan result of this head was too large to store: nothing of it can be applied. */
  tooLarge?: { bytes: number | null; limit: number };
}

export type ApplyCheckStatus =
  | { status: 'queued'; title: string; summary: string }
  | { status: 'completed'; conclusion: 'success' | 'failure'; title: string; summary: string };

const NEVER_APPLIES = 'Re-running this check only republishes this status: it never applies anything.';

/**
 * Projects among `names` whose latest apply or rollback in `history` is a successful apply of `headSha`.
 * An apply or rollback the tool refused as stale changed nothing, so it is passed over.
 */
export function appliedAtHead(history: readonly ApplyHistoryEntry[], names: readonly string[], headSha: string): Set<string> {
  const done = new Set<string>();
  for (const name of names) {
    const latest = latestChange(history, name);
    if (latest && latest.kind === 'apply' && latest.outcome === 'succeeded' && latest.sha === headSha) done.add(name);
  }
  return done;
}

/** The newest apply or rollback of `project` that may have changed something (not one refused as stale). */
export function latestChange<T extends ApplyHistoryEntry>(history: readonly T[], project: string): T | undefined {
  return history.find((entry) => entry.project === project && entry.outcome !== 'stale');
}

/**
 * The affected projects of a head's plan state that have no successful plan at this head: skipped (the
 * autoplan does not plan a project with `autoplan: false`; a later `/plan -p` of it replaces the skip) or
 * failed. Every skip there is means "not planned yet", never "nothing to do" (a project with nothing to
 * change is planned, with no changes): so each one holds the apply check back, as does each failure.
 */
export function notPlannedAtHead(projects: readonly ApplyCheckProject[]): { skipped: ApplyCheckProject[]; failed: ApplyCheckProject[] } {
  return { skipped: projects.filter((project) => project.status === 'skipped'), failed: projects.filter((project) => project.status === 'failed') };
}

/** One line per project not planned at the head, with the command that plans it. */
export function describeNotPlanned(unplanned: ReturnType<typeof notPlannedAtHead>, headSha: string): string[] {
  const short = headSha.slice(0, 7);
  return [
    ...unplanned.failed.map((project) => `- \`${project.name}\`: the plan of ${short} failed, so nothing of it can be applied. Fix the error shown in the plan comment and push, or comment \`/plan -p ${project.name}\`.`),
    ...unplanned.skipped.map((project) => `- \`${project.name}\`: not planned at ${short} (${skipWhy(project)}). Comment \`/plan -p ${project.name}\`, then \`/apply\` once approved.`),
  ];
}

function skipWhy(project: ApplyCheckProject): string {
  // The stored reason ends with the command to type, which the line says itself.
  const reason = (project.skippedReason ?? 'not planned automatically').split(';')[0]?.trim();
  return reason || 'not planned automatically';
}

/**
 * The one rule for `infra-review/apply`, whoever publishes it (a plan, `/apply`, `/rollback`, a re-run of the
 * check): success only when every affected project is planned at this head and every one with changes is
 * applied from it (or none has changes). Failure when the latest apply of the head, or the latest rollback, of
 * a project did not succeed (an outcome nobody has resolved yet), or a project failed to plan at this head.
 * Otherwise pending (`queued`, which branch protection does not accept) with the next step: `/apply` for
 * planned projects with changes, `/plan -p NAME` for a project not planned at this head (autoplan off) and
 * for a rolled-back project whose plan at this head was made before its rollback (that plan describes the
 * state the rollback replaced, whatever changes it counted: the project must be planned again), and for a
 * project whose plan at this head the tool refused as stale (nothing was changed: not a failure).
 */
export function applyCheckStatus(facts: ApplyCheckFacts): ApplyCheckStatus {
  const short = facts.headSha.slice(0, 7);
  const list = (names: readonly string[]) => names.map((name) => `\`${name}\``).join(', ');
  if (facts.tooLarge) {
    const why = describeOversizedPlan(facts.tooLarge);
    return {
      status: 'completed',
      conclusion: 'failure',
      title: 'Plan result too large',
      summary: `${why.charAt(0).toUpperCase()}${why.slice(1)}. Without it the projects, changed files and risks of ${short} are not known, so \`/apply\` refuses every project of this head. ${NEVER_APPLIES}`,
    };
  }
  if (!facts.planned) {
    return {
      status: 'queued',
      title: 'Waiting for a plan',
      summary: `No plan of ${short} is recorded, so there is nothing to apply yet. Re-run \`infra-review/plan\` (or comment \`/plan\`), then comment \`/apply\` once approved.\n\n${NEVER_APPLIES}`,
    };
  }
  const unplanned = notPlannedAtHead(facts.planned);
  const notPlannedLines = describeNotPlanned(unplanned, facts.headSha);
  const plannedProjects = facts.planned.filter((project) => project.status === 'planned');
  const withChanges = plannedProjects.filter((project) => project.hasChanges === true).map((project) => project.name);
  const applied = appliedAtHead(facts.history, withChanges, facts.headSha);

  const pending: string[] = [];
  const problems: string[] = [];
  /** Rolled back and planned again at this head since: waits for `/apply` (when it has changes). */
  const rolledBackLines: string[] = [];
  /** Rolled back after the head's plan of it was made: waits for `/plan -p NAME` first. */
  const toReplan: string[] = [];
  /** Its plan at this head was refused as stale when applied (nothing changed): waits for `/plan -p NAME` first. */
  const staleLines: string[] = [];
  let rollbackFailed = false;
  for (const project of plannedProjects) {
    const name = project.name;
    const latest = latestChange(facts.history, name);
    // A record still 'running' when no command of the PR runs was cut short: its outcome is unknown.
    const unknown = latest !== undefined && (latest.outcome === 'interrupted' || latest.outcome === 'running');
    if (latest?.kind === 'rollback') {
      const target = latest.sha.slice(0, 7);
      if (latest.outcome === 'failed' || unknown) {
        rollbackFailed = true;
        problems.push(
          latest.outcome === 'failed'
            ? `- \`${name}\`: the rollback to ${target} failed; the project may be in a partly changed state.`
            : `- \`${name}\`: the rollback to ${target} was interrupted; its outcome is unknown.`,
        );
        continue;
      }
      const undone = latest.rollbackOf === null ? undefined : facts.history.find((entry) => entry.id === latest.rollbackOf);
      if (undone && undone.outcome !== 'succeeded' && undone.sha === facts.headSha) {
        problems.push(`- \`${name}\`: the apply of ${short} failed and was rolled back to ${target}.`);
        continue;
      }
      const plannedSince = project.planId !== undefined && typeof latest.planId === 'number' && project.planId > latest.planId;
      if (!plannedSince) {
        toReplan.push(`- \`${name}\`: rolled back to ${target}, so this PR's change to it is no longer live. Its plan of ${short} was made before the rollback: comment \`/plan -p ${name}\`, then \`/apply\` once approved.`);
        continue;
      }
      if (project.hasChanges === true) {
        pending.push(name);
        rolledBackLines.push(`- \`${name}\`: rolled back to ${target}, so this PR's change to it is no longer live; planned again at ${short} since.`);
      }
      continue;
    }
    if (project.hasChanges !== true || applied.has(name)) continue;
    // An apply of the head's newest plan (or, unknown, of any plan) refused as stale: plan again first.
    const stale = facts.history.find((entry) => entry.project === name);
    if (stale?.outcome === 'stale' && stale.kind === 'apply' && (project.planId === undefined || typeof stale.planId !== 'number' || stale.planId >= project.planId)) {
      staleLines.push(
        `- \`${name}\`: its saved plan of ${stale.sha.slice(0, 7)} was stale when applied (the state changed after the plan was made: another PR's apply, or a change outside infra-review), so nothing was applied. Comment \`/plan -p ${name}\`, then \`/apply\` once approved.`,
      );
      continue;
    }
    pending.push(name);
    // An apply of an older head says nothing about this one: that project simply waits for /apply.
    if (!latest || latest.sha !== facts.headSha || latest.outcome === 'succeeded') continue;
    problems.push(unknown ? `- \`${name}\`: the apply of ${short} was interrupted; its outcome is unknown.` : `- \`${name}\`: the apply of ${short} failed.`);
  }
  if (pending.length === 0 && problems.length === 0 && toReplan.length === 0 && staleLines.length === 0 && notPlannedLines.length === 0) {
    return withChanges.length === 0
      ? { status: 'completed', conclusion: 'success', title: 'Nothing to apply', summary: 'No project of this PR has changes to apply.' }
      : { status: 'completed', conclusion: 'success', title: 'Applied', summary: `Every project with changes was applied from ${short}.` };
  }

  const appliedLine = applied.size > 0 ? `\n\nApplied from ${short}: ${list([...applied])}.` : '';
  const rolledBack = [...toReplan, ...rolledBackLines];
  const rolledBackPart = `${rolledBack.length > 0 ? `\n\nRolled back:\n${rolledBack.join('\n')}` : ''}${staleLines.length > 0 ? `\n\nSaved plan is stale:\n${staleLines.join('\n')}` : ''}`;
  const notPlannedPart = notPlannedLines.length > 0 ? `\n\nNot planned at ${short}:\n${notPlannedLines.join('\n')}` : '';
  if (problems.length > 0) {
    return {
      status: 'completed',
      conclusion: 'failure',
      title: rollbackFailed ? 'Rollback failed' : 'Apply failed',
      summary: `${problems.join('\n')}${appliedLine}${rolledBackPart}${notPlannedPart}\n\nCheck the state of these projects, then comment \`/plan\` (an apply spends its plan), then \`/apply\` to apply again (or \`/rollback\`). ${NEVER_APPLIES}`,
    };
  }
  const stillToApply =
    pending.length > 0
      ? `Still to apply: ${list(pending)}.`
      : toReplan.length > 0 || staleLines.length > 0
        ? 'Nothing can be applied before these projects are planned again.'
        : 'Every planned project with changes is applied.';
  if (unplanned.failed.length > 0) {
    const n = unplanned.failed.length;
    return {
      status: 'completed',
      conclusion: 'failure',
      title: 'Plan failed',
      summary: `${notPlannedLines.join('\n')}\n\n${stillToApply}${appliedLine}${rolledBackPart}\n\nThis check fails (it does not pass) until ${n === 1 ? 'that project is' : 'those projects are'} planned at this commit and applied. ${NEVER_APPLIES}`,
    };
  }
  if (unplanned.skipped.length > 0 || toReplan.length > 0 || staleLines.length > 0) {
    const waiting = pending.length > 0 ? 'Waiting for /plan and /apply' : 'Waiting for /plan';
    const lower = `${waiting.charAt(0).toLowerCase()}${waiting.slice(1)}`;
    return {
      status: 'queued',
      title: unplanned.skipped.length > 0 ? waiting : staleLines.length > 0 ? `Saved plan is stale: ${lower}` : `Rolled back: ${lower}`,
      summary: `${stillToApply}${appliedLine}${rolledBackPart}${notPlannedPart}\n\nThis check stays pending (queued), which branch protection does not accept as passing, until every project this PR affects is planned at this commit and applied. ${NEVER_APPLIES}`,
    };
  }
  return {
    status: 'queued',
    title: rolledBackLines.length > 0 ? 'Rolled back: waiting for /apply' : 'Waiting for /apply',
    summary: `${stillToApply}${appliedLine}${rolledBackPart}\n\nComment \`/apply\` once approved (see \`infra-review/approval\`). ${NEVER_APPLIES}`,
  };
}
