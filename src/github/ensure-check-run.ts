import { withRedactedRequestBody } from './redact-request-body.js';
import type { GitHubClient, RepoRef } from './repo-ref.js';

export const CHECK_PLAN = 'infra-review/plan';
export const CHECK_APPROVAL = 'infra-review/approval';
export const CHECK_APPLY = 'infra-review/apply';
export const CHECK_NAMES = [CHECK_PLAN, CHECK_APPROVAL, CHECK_APPLY] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** GitHub's limit for `output.summary` and `output.text`. */
export const MAX_CHECK_OUTPUT_LENGTH = 65_535;

export type CheckStatus = 'queued' | 'in_progress' | 'completed';
export type CheckConclusion =
  | 'success'
  | 'failure'
  | 'neutral'
  | 'cancelled'
  | 'skipped'
  | 'timed_out'
  | 'action_required';

export interface EnsureCheckRunInput {
  name: CheckName;
  headSha: string;
  /** Our GitHub App id: only our own check runs are reused (anyone's workflow can name a job like ours). */
  appId: number;
  status: CheckStatus;
  /** Required when `status` is `completed`. */
  conclusion?: CheckConclusion;
  title: string;
  summary: string;
  text?: string;
  detailsUrl?: string;
  externalId?: string;
}

export interface EnsuredCheckRun {
  id: number;
  url: string;
  action: 'created' | 'updated';
}

/**
 * Create or update the check run `name` on `headSha`. The latest run of that name made by
 * our app is updated in place, except that a completed run is never moved back to
 * queued/in_progress (GitHub does not allow it): a re-run gets a new check run, which
 * GitHub then shows as the current one.
 */
export async function ensureCheckRun(
  octokit: GitHubClient,
  repo: RepoRef,
  input: EnsureCheckRunInput,
): Promise<EnsuredCheckRun> {
  if (input.status === 'completed' && !input.conclusion) {
    throw new TypeError(`check run ${input.name}: a completed check run needs a conclusion`);
  }
  if (input.status !== 'completed' && input.conclusion) {
    // GitHub would silently complete the run: say what is meant instead.
    throw new TypeError(`check run ${input.name}: a conclusion is only allowed with status completed`);
  }

  const runs = await octokit.paginate(octokit.rest.checks.listForRef, {
    ...repo,
    ref: input.headSha,
    check_name: input.name,
    app_id: input.appId,
    filter: 'latest',
    per_page: 100,
  });
  const ours = runs
    .filter((run) => run.app?.id === input.appId && run.head_sha === input.headSha && run.name === input.name)
    .sort((a, b) => b.id - a.id);
  const latest = ours[0];

  const output = {
    title: input.title,
    summary: truncateCheckOutput(input.summary),
    ...(input.text !== undefined ? { text: truncateCheckOutput(input.text) } : {}),
  };
  const fields = {
    status: input.status,
    ...(input.conclusion ? { conclusion: input.conclusion } : {}),
    ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
    ...(input.externalId ? { external_id: input.externalId } : {}),
    output,
  };

  const reopening = latest?.status === 'completed' && input.status !== 'completed';
  if (latest && !reopening) {
    const { data } = await withRedactedRequestBody(() =>
      octokit.rest.checks.update({ ...repo, check_run_id: latest.id, ...fields }),
    );
    return { id: data.id, url: data.html_url ?? data.url, action: 'updated' };
  }
  const { data } = await withRedactedRequestBody(() =>
    octokit.rest.checks.create({ ...repo, name: input.name, head_sha: input.headSha, ...fields }),
  );
  return { id: data.id, url: data.html_url ?? data.url, action: 'created' };
}

/**
 * Cut `text` to GitHub's check output limit, ending with a note that says so. Cuts at a
 * line break when one is near, so a markdown table row or fence line is not split midway.
 */
export function truncateCheckOutput(text: string, limit = MAX_CHECK_OUTPUT_LENGTH): string {
  if (text.length <= limit) return text;
  const note = (omitted: number): string =>
    `\n\n… (truncated: ${omitted} of ${text.length} characters omitted; GitHub limits check output to ${limit})`;
  // The note's own length depends on the omitted count, at most text.length; 4 more for a closing fence.
  const room = Math.max(0, limit - note(text.length).length - 4);
  let cut = room;
  const lineBreak = text.lastIndexOf('\n', room);
  if (lineBreak > 0 && lineBreak > room - 2_000) cut = lineBreak;
  // Never split a surrogate pair (an emoji in a resource name would turn into garbage).
  const previous = cut > 0 ? text.charCodeAt(cut - 1) : 0;
  if (previous >= 0xd800 && previous <= 0xdbff) cut -= 1;
  const kept = text.slice(0, cut);
  // An unclosed code fence would swallow the note: close it.
  const fences = kept.match(/^ {0,3}```/gm)?.length ?? 0;
  const closing = fences % 2 === 1 ? '\n```' : '';
  return kept + closing + note(text.length - cut);
}
