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
  /**
   * Someone clicked "Re-run" on this check (or on our suite): always create a new run, even when the latest
   * already shows this. GitHub reset our check suite to queued at the click and leaves it queued until one
   * of its runs is written; a new run also shows when the check was re-run.
   */
  rerun?: boolean;
}

export interface EnsuredCheckRun {
  id: number;
  url: string;
  /** `unchanged`: the run already showed exactly this (as just listed, or as this job wrote it): nothing was sent. */
  action: 'created' | 'updated' | 'unchanged';
}

/** What we know of one of our check runs: enough to decide between updating it, leaving it, and creating a new one. */
export interface KnownCheckRun {
  id: number;
  url: string;
  status: CheckStatus;
  conclusion: string | null;
  /** Its output and links as listed (or as this job last wrote them); undefined when not known exactly. */
  shown?: ShownCheckOutput;
}

/** The parts of a check run a write sets, as GitHub shows them (null: not set). */
export interface ShownCheckOutput {
  title: string | null;
  summary: string | null;
  text: string | null;
  detailsUrl: string | null;
  externalId: string | null;
}

/**
 * Create or update the check run `name` on `headSha`. The latest run of that name made by
 * our app is updated in place, except that a completed run is never moved back to
 * queued/in_progress (GitHub does not allow it): a re-run gets a new check run, which
 * GitHub then shows as the current one. A run that already shows exactly this status,
 * conclusion and output is left alone (the write would change nothing GitHub shows), unless
 * `rerun` asks for a new run. One
 * listing request, then the write; a job that writes several checks of one head uses
 * `HeadCheckRuns` to list once.
 */
export async function ensureCheckRun(
  octokit: GitHubClient,
  repo: RepoRef,
  input: EnsureCheckRunInput,
): Promise<EnsuredCheckRun> {
  validateCheckInput(input);
  const runs = await octokit.paginate(octokit.rest.checks.listForRef, {
    ...repo,
    ref: input.headSha,
    check_name: input.name,
    app_id: input.appId,
    filter: 'latest',
    per_page: 100,
  });
  return writeCheckRun(octokit, repo, input, latestOurs(runs, input.headSha, input.appId).get(input.name));
}

/**
 * Our check runs on one head SHA, listed once (one request for every name, at the first `ensure` or
 * `latest`) and then kept current with our own writes, so a job that writes the plan, approval and apply
 * checks, or one check twice, lists once instead of before each write. A run another job creates after
 * the listing is not seen (both then create one and GitHub shows the newer, as with two racing lists):
 * list late, just before a job's publishing writes, and keep one instance for one job only.
 */
export class HeadCheckRuns {
  private listing: Promise<Map<string, KnownCheckRun>> | undefined;

  constructor(
    private readonly octokit: GitHubClient,
    private readonly repo: RepoRef,
    readonly headSha: string,
    readonly appId: number,
    /** The caller knows we have no run on this head yet (the first job that sees it): nothing is listed. */
    options: { noneYet?: boolean } = {},
  ) {
    if (options.noneYet) this.listing = Promise.resolve(new Map());
  }

  /** Our latest run of `name` on the head, or undefined. */
  async latest(name: CheckName): Promise<KnownCheckRun | undefined> {
    return (await this.known()).get(name);
  }

  /** `ensureCheckRun` for this head, without listing again. */
  async ensure(input: Omit<EnsureCheckRunInput, 'headSha' | 'appId'>): Promise<EnsuredCheckRun> {
    const full: EnsureCheckRunInput = { ...input, headSha: this.headSha, appId: this.appId };
    validateCheckInput(full);
    const known = await this.known();
    const previous = known.get(input.name);
    const result = await writeCheckRun(this.octokit, this.repo, full, previous);
    if (result.action !== 'unchanged') known.set(input.name, { id: result.id, url: result.url, status: input.status, conclusion: input.conclusion ?? null, ...shownAfter(full, result.action === 'created' ? undefined : previous) });
    return result;
  }

  /**
   * Create a new run of `name` without looking for one: a job starting work on the head (the plan check
   * going `in_progress`), where an earlier run is completed (GitHub would not reopen it) or belongs to a
   * job that is gone. Does not list; a later listing includes this run.
   */
  async start(input: Omit<EnsureCheckRunInput, 'headSha' | 'appId' | 'conclusion'> & { status: 'queued' | 'in_progress' }): Promise<EnsuredCheckRun> {
    const full: EnsureCheckRunInput = { ...input, headSha: this.headSha, appId: this.appId };
    validateCheckInput(full);
    const result = await writeCheckRun(this.octokit, this.repo, full, undefined);
    if (this.listing) (await this.listing).set(input.name, { id: result.id, url: result.url, status: input.status, conclusion: null, ...shownAfter(full, undefined) });
    return result;
  }

  private known(): Promise<Map<string, KnownCheckRun>> {
    this.listing ??= this.octokit
      .paginate(this.octokit.rest.checks.listForRef, { ...this.repo, ref: this.headSha, app_id: this.appId, filter: 'latest', per_page: 100 })
      .then((runs) => latestOurs(runs, this.headSha, this.appId));
    // A failed listing is not kept: the next call lists again.
    void this.listing.catch(() => (this.listing = undefined));
    return this.listing;
  }
}

interface ListedCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion?: string | null;
  html_url?: string | null;
  url: string;
  app?: { id?: number } | null;
  details_url?: string | null;
  external_id?: string | null;
  output?: { title?: string | null; summary?: string | null; text?: string | null } | null;
}

/** Per name, the newest run made by our app on exactly `headSha` (anyone's workflow can name a job like ours). */
function latestOurs(runs: readonly ListedCheckRun[], headSha: string, appId: number): Map<string, KnownCheckRun> {
  const latest = new Map<string, KnownCheckRun>();
  const ours = runs.filter((run) => run.app?.id === appId && run.head_sha === headSha).sort((a, b) => b.id - a.id);
  for (const run of ours) {
    if (latest.has(run.name)) continue;
    latest.set(run.name, { id: run.id, url: run.html_url ?? run.url, status: run.status as CheckStatus, conclusion: run.conclusion ?? null, ...listedOutput(run) });
  }
  return latest;
}

/** The listed run's output and links, only when the listing carries every one of them. */
function listedOutput(run: ListedCheckRun): { shown?: ShownCheckOutput } {
  const output = run.output;
  if (!output || output.title === undefined || output.summary === undefined || output.text === undefined || run.details_url === undefined || run.external_id === undefined) return {};
  return { shown: { title: output.title, summary: output.summary, text: output.text, detailsUrl: run.details_url, externalId: run.external_id } };
}

/**
 * What a run shows after our write of `input`: on a new run (no `previous`) what was not sent is unset; on
 * an update it keeps what it showed before, so it is only known when that was. Nothing: not known exactly.
 */
function shownAfter(input: EnsureCheckRunInput, previous: KnownCheckRun | undefined): { shown?: ShownCheckOutput } {
  const before: ShownCheckOutput | undefined = previous ? previous.shown : { title: null, summary: null, text: null, detailsUrl: null, externalId: null };
  const sent = sentFields(input);
  if (!before && (sent.text === undefined || sent.detailsUrl === undefined || sent.externalId === undefined)) return {};
  return {
    shown: {
      title: sent.title,
      summary: sent.summary,
      text: sent.text ?? before?.text ?? null,
      detailsUrl: sent.detailsUrl ?? before?.detailsUrl ?? null,
      externalId: sent.externalId ?? before?.externalId ?? null,
    },
  };
}

/** What a write of `input` sends (undefined: not sent, the run keeps what it had). */
function sentFields(input: EnsureCheckRunInput): { title: string; summary: string; text?: string; detailsUrl?: string; externalId?: string } {
  return {
    title: input.title,
    summary: truncateCheckOutput(input.summary),
    ...(input.text !== undefined ? { text: truncateCheckOutput(input.text) } : {}),
    ...(input.detailsUrl ? { detailsUrl: input.detailsUrl } : {}),
    ...(input.externalId ? { externalId: input.externalId } : {}),
  };
}

/** The run already shows everything the write would set: status, conclusion, title, summary, and text and links when sent. */
function showsAlready(run: Pick<KnownCheckRun, 'status' | 'conclusion' | 'shown'>, input: EnsureCheckRunInput, sent: ReturnType<typeof sentFields>): boolean {
  const shown = run.shown;
  if (!shown || run.status !== input.status || run.conclusion !== (input.conclusion ?? null)) return false;
  return (
    shown.title === sent.title &&
    shown.summary === sent.summary &&
    (sent.text === undefined || shown.text === sent.text) &&
    (sent.detailsUrl === undefined || shown.detailsUrl === sent.detailsUrl) &&
    (sent.externalId === undefined || shown.externalId === sent.externalId)
  );
}

function validateCheckInput(input: EnsureCheckRunInput): void {
  if (input.status === 'completed' && !input.conclusion) {
    throw new TypeError(`check run ${input.name}: a completed check run needs a conclusion`);
  }
  if (input.status !== 'completed' && input.conclusion) {
    // GitHub would silently complete the run: say what is meant instead.
    throw new TypeError(`check run ${input.name}: a conclusion is only allowed with status completed`);
  }
}

/**
 * Update `latest` in place, or create a new run when there is none or it would have to be reopened; leave
 * `latest` alone when it already shows exactly what would be written.
 */
async function writeCheckRun(
  octokit: GitHubClient,
  repo: RepoRef,
  input: EnsureCheckRunInput,
  latest: KnownCheckRun | undefined,
): Promise<EnsuredCheckRun> {
  const sent = sentFields(input);
  if (latest && !input.rerun && showsAlready(latest, input, sent)) return { id: latest.id, url: latest.url, action: 'unchanged' };
  const output = {
    title: sent.title,
    summary: sent.summary,
    ...(sent.text !== undefined ? { text: sent.text } : {}),
  };
  const fields = {
    status: input.status,
    ...(input.conclusion ? { conclusion: input.conclusion } : {}),
    ...(sent.detailsUrl ? { details_url: sent.detailsUrl } : {}),
    ...(sent.externalId ? { external_id: sent.externalId } : {}),
    output,
  };

  const reopening = latest?.status === 'completed' && input.status !== 'completed';
  if (latest && !reopening && !input.rerun) {
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
