import type { JobContext } from '../jobs/job-context.js';
import type { PullRequestRef } from '../jobs/job-payloads.js';
import { repoFullName } from '../jobs/job-payloads.js';

/** `/unlock`: release this PR's locks (all, or the projects named) and discard its unapplied plans. */
export async function runUnlock(ctx: JobContext, input: { ref: PullRequestRef; actor: string; projects: string[] }): Promise<{ body: string }> {
  const { store } = ctx.services;
  const repo = repoFullName(input.ref);
  const mine = await store.listLocks({ repo, pr: input.ref.pr });
  const targets = input.projects.length > 0 ? mine.filter((lock) => input.projects.includes(lock.project)) : mine;
  const released: string[] = [];
  for (const lock of targets) {
    if (await store.releaseLock({ repo, project: lock.project, workspace: lock.workspace, pr: input.ref.pr })) {
      released.push(lock.workspace === 'default' ? lock.project : `${lock.project} (${lock.workspace})`);
    }
  }
  let discarded = 0;
  for (const plan of await store.listPlans({ repo, pr: input.ref.pr })) {
    if ((plan.status === 'planned' || plan.status === 'planning') && (input.projects.length === 0 || input.projects.includes(plan.project))) {
      await store.updatePlan(plan.id, { status: 'discarded' });
      discarded++;
    }
  }
  const notHeld = input.projects.filter((name) => !mine.some((lock) => lock.project === name));
  await store.audit({
    repo,
    pr: input.ref.pr,
    actor: input.actor,
    action: 'decision:unlocked',
    reason: `released ${released.length} lock(s)${released.length ? `: ${released.join(', ')}` : ''}; discarded ${discarded} plan(s)`,
  });
  const lines = [
    released.length > 0
      ? `:unlock: Released the lock${released.length === 1 ? '' : 's'} on ${released.map((name) => `\`${name}\``).join(', ')}.`
      : ':unlock: This PR held no locks.',
  ];
  if (notHeld.length > 0) lines.push(`This PR held no lock on ${notHeld.map((name) => `\`${name}\``).join(', ')}.`);
  if (discarded > 0) lines.push(`Discarded ${discarded} plan${discarded === 1 ? '' : 's'}: comment \`/plan\` before the next \`/apply\`.`);
  return { body: lines.join('\n\n') };
}
