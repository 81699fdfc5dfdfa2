/**
 * What `infra-review/apply` says for a PR head, from what the store knows (pure): which projects of the
 * head's plan have changes, and this PR's applies and rollbacks. Used when someone re-runs the apply
 * check, which must only republish this status and never apply anything.
 */

/** One apply or rollback of the PR, as the store records it. */
export interface ApplyHistoryEntry {
  id: number;
  kind: 'apply' | 'rollback';
  project: string;
  /** An apply: the commit applied; a rollback: the commit whose state it restores. */
  sha: string;
  outcome: 'running' | 'succeeded' | 'failed' | 'interrupted';
  /** A rollback: the apply it undoes. */
  rollbackOf: number | null;
}

export interface ApplyCheckFacts {
  headSha: string;
  /** Projects of the head's latest published plan; undefined when no plan of the head is recorded. */
  planned: readonly { name: string; hasChanges?: boolean }[] | undefined;
  /** This PR's applies and rollbacks, newest first. */
  history: readonly ApplyHistoryEntry[];
}

export type ApplyCheckStatus =
  | { status: 'queued'; title: string; summary: string }
  | { status: 'completed'; conclusion: 'success' | 'failure'; title: string; summary: string };

const NEVER_APPLIES = 'Re-running this check only republishes this status: it never applies anything.';

/** Projects among `names` whose latest apply or rollback in `history` is a successful apply of `headSha`. */
export function appliedAtHead(history: readonly ApplyHistoryEntry[], names: readonly string[], headSha: string): Set<string> {
  const done = new Set<string>();
  for (const name of names) {
    const latest = history.find((entry) => entry.project === name);
    if (latest && latest.kind === 'apply' && latest.outcome === 'succeeded' && latest.sha === headSha) done.add(name);
  }
  return done;
}

/**
 * Success only when every project with changes is applied at this head (or none has changes), as after
 * `/apply`; failure when the latest apply of the head, or the latest rollback, of a project did not
 * succeed (an outcome nobody has resolved yet); otherwise pending (`queued`) with the next step.
 */
export function applyCheckStatus(facts: ApplyCheckFacts): ApplyCheckStatus {
  const short = facts.headSha.slice(0, 7);
  const list = (names: readonly string[]) => names.map((name) => `\`${name}\``).join(', ');
  if (!facts.planned) {
    return {
      status: 'queued',
      title: 'Waiting for a plan',
      summary: `No plan of ${short} is recorded, so there is nothing to apply yet. Re-run \`infra-review/plan\` (or comment \`/plan\`), then comment \`/apply\` once approved.\n\n${NEVER_APPLIES}`,
    };
  }
  const withChanges = facts.planned.filter((project) => project.hasChanges === true).map((project) => project.name);
  if (withChanges.length === 0) {
    return { status: 'completed', conclusion: 'success', title: 'Nothing to apply', summary: 'No project of this PR has changes to apply.' };
  }
  const applied = appliedAtHead(facts.history, withChanges, facts.headSha);
  const pending = withChanges.filter((name) => !applied.has(name));
  if (pending.length === 0) {
    return { status: 'completed', conclusion: 'success', title: 'Applied', summary: `Every project with changes was applied from ${short}.` };
  }

  const problems: string[] = [];
  let rollbackFailed = false;
  let rolledBack = false;
  for (const name of pending) {
    const latest = facts.history.find((entry) => entry.project === name);
    if (!latest) continue;
    // A record still 'running' when no command of the PR runs was cut short: its outcome is unknown.
    const unknown = latest.outcome === 'interrupted' || latest.outcome === 'running';
    if (latest.kind === 'rollback') {
      if (latest.outcome === 'failed' || unknown) {
        rollbackFailed = true;
        problems.push(
          latest.outcome === 'failed'
            ? `- \`${name}\`: the rollback to ${latest.sha.slice(0, 7)} failed; the project may be in a partly changed state.`
            : `- \`${name}\`: the rollback to ${latest.sha.slice(0, 7)} was interrupted; its outcome is unknown.`,
        );
        continue;
      }
      const undone = latest.rollbackOf === null ? undefined : facts.history.find((entry) => entry.id === latest.rollbackOf);
      if (undone && undone.outcome !== 'succeeded' && undone.sha === facts.headSha) {
        problems.push(`- \`${name}\`: the apply of ${short} failed and was rolled back to ${latest.sha.slice(0, 7)}.`);
      } else {
        rolledBack = true;
      }
      continue;
    }
    // An apply of an older head says nothing about this one: that project simply waits for /apply.
    if (latest.sha !== facts.headSha || latest.outcome === 'succeeded') continue;
    problems.push(unknown ? `- \`${name}\`: the apply of ${short} was interrupted; its outcome is unknown.` : `- \`${name}\`: the apply of ${short} failed.`);
  }
  const appliedLine = applied.size > 0 ? `\n\nApplied from ${short}: ${list([...applied])}.` : '';
  if (problems.length > 0) {
    return {
      status: 'completed',
      conclusion: 'failure',
      title: rollbackFailed ? 'Rollback failed' : 'Apply failed',
      summary: `${problems.join('\n')}${appliedLine}\n\nCheck the state of these projects, then comment \`/apply\` to apply again (or \`/rollback\`). ${NEVER_APPLIES}`,
    };
  }
  return {
    status: 'queued',
    title: rolledBack ? 'Rolled back: waiting for /apply' : 'Waiting for /apply',
    summary: `Still to apply: ${list(pending)}.${appliedLine}\n\nComment \`/apply\` once approved (see \`infra-review/approval\`). ${NEVER_APPLIES}`,
  };
}
