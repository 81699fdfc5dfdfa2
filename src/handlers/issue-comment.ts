import type { Context } from 'probot';
import type { JobQueue } from '../jobs/job-queue.js';
import { parseCommand } from '../commands/parse-command.js';
import { addReaction } from '../github/add-reaction.js';
import type { CommentCommandPayload } from '../jobs/job-payloads.js';

/** Only the first 64 KiB of a comment is ever read (the command is its first line). */
const MAX_BODY_READ = 64 * 1024;

export type CommentOutcome = 'ignored' | 'duplicate' | 'queued';

/**
 * `issue_comment.created` on a pull request: a slash command. Edited comments, bot comments and comments
 * on issues are ignored. The same comment (redelivered) runs at most once, across replicas.
 * Accepted commands get 👀 (sent without delaying the answer to GitHub); the job answers with 🚀 or 😕 and a comment.
 * `queue` is only asked for (it waits for the store) once the comment is a command to run.
 */
export async function handleIssueComment(context: Context<'issue_comment'>, queue: () => Promise<JobQueue>): Promise<CommentOutcome> {
  const { payload } = context;
  if (payload.action !== 'created') return 'ignored';
  if (!payload.issue.pull_request) return 'ignored';
  if (payload.comment.user?.type === 'Bot' || payload.sender?.type === 'Bot') return 'ignored';
  const parsed = parseCommand(String(payload.comment.body ?? '').slice(0, MAX_BODY_READ));
  if (parsed.kind === 'none') return 'ignored';
  if (!payload.installation) throw new Error('webhook without an installation: infra-review only works as an installed GitHub App');

  const repo = payload.repository.full_name;
  const job: CommentCommandPayload = {
    installationId: payload.installation.id,
    owner: payload.repository.owner.login,
    repo: payload.repository.name,
    pr: payload.issue.number,
    cloneUrl: payload.repository.clone_url,
    commentId: payload.comment.id,
    actor: payload.comment.user?.login ?? '',
    parsed,
    deliveryId: context.id,
  };
  // Claimed and enqueued in one transaction: a store failure leaves the comment unclaimed, so GitHub's
  // redelivery runs it; a redelivery after success is refused here.
  const enqueued = await (await queue()).enqueueOnce(`comment:${repo}:${payload.comment.id}`, {
    kind: 'command',
    repo,
    pr: payload.issue.number,
    headSha: '',
    command: `comment:${payload.comment.id}`,
    key: `comment:${repo}:${payload.comment.id}`,
    payload: job,
  });
  if (enqueued === undefined) {
    context.log.info({ commentId: payload.comment.id }, 'command comment already handled (redelivery); ignored');
    return 'duplicate';
  }
  // The 👀 only acknowledges, so the webhook's answer does not wait for it: Octokit spaces our writes to
  // GitHub (about one a second per installation), and a burst of commands awaiting it here would each hold
  // its delivery for seconds (GitHub gives up after 10). The command is queued; its job answers either way.
  addReaction(context.octokit, { owner: payload.repository.owner.login, repo: payload.repository.name }, payload.comment.id, 'eyes').catch((error: unknown) => {
    context.log.warn({ commentId: payload.comment.id, err: error }, 'could not add the 👀 reaction to a queued command');
  });
  return 'queued';
}
