import type { JobContext } from '../jobs/job-context.js';
import type { PullRequestRef } from '../jobs/job-payloads.js';
import { repoFullName } from '../jobs/job-payloads.js';
import { annotatePlanComment } from '../github/annotate-plan-comment.js';

/**
 * The sticky plan comment shows what is live from this PR: per project, its latest apply or rollback
 * (who, which commit, outcome), so nobody has to read the command history to know the state.
 */
export async function annotateApplied(ctx: JobContext, ref: PullRequestRef): Promise<void> {
  const applies = await ctx.services.store.listApplies({ repo: repoFullName(ref), pr: ref.pr });
  const latest = new Map<string, (typeof applies)[number]>();
  for (const apply of applies) {
    // An apply or rollback the tool refused as stale changed nothing: what is live is the one before it.
    if (apply.outcome === 'stale') continue;
    const key = `${apply.project}\u0000${apply.workspace}`;
    if (!latest.has(key)) latest.set(key, apply); // newest first
  }
  if (latest.size === 0) return;
  const lines = [...latest.values()]
    .sort((a, b) => a.project.localeCompare(b.project))
    .map((apply) => {
      const name = apply.workspace === 'default' ? apply.project : `${apply.project} (${apply.workspace})`;
      const when = (apply.finishedAt ?? apply.startedAt).toISOString().replace(/\.\d+Z$/, 'Z');
      const what =
        apply.kind === 'rollback'
          ? apply.outcome === 'succeeded'
            ? `rolled back to ${apply.sha.slice(0, 7)}: this PR's change is **not live**`
            : `rollback to ${apply.sha.slice(0, 7)} **${apply.outcome}**: the project may be in a partly changed state`
          : apply.outcome === 'succeeded'
            ? `**applied** ${apply.sha.slice(0, 7)}`
            : `apply of ${apply.sha.slice(0, 7)} **${apply.outcome}**`;
      return `- \`${name}\`: ${what} (by \`${apply.actor}\`, ${when})`;
    });
  await annotatePlanComment(ctx.octokit, { owner: ref.owner, repo: ref.repo }, ref.pr, 'applied', `**Applied from this PR**\n${lines.join('\n')}`, { botLogin: ctx.botLogin });
}
