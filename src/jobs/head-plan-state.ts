import type { RiskLevel } from '../plan/analysis.js';
import type { ChangedFileInput } from '../policy/approval-evaluation.js';
import type { ProjectPlanResult } from '../render/plan-comment-input.js';
import type { PlanResultRow, Store } from '../store/store.js';
import { isTruncatedJobResult, jsonBytes, MAX_JOB_RESULT_BYTES } from '../store/job-result-limit.js';
import { repoFullName, type PullRequestRef } from './job-payloads.js';

/** What a plan (autoplan, re-run or `/plan`) leaves in the store (job result) for later approval evaluations and commands. */
export interface PlanJobResult {
  outcome: 'published' | 'skipped' | 'invalid-config' | 'unreadable-base-file' | 'cancelled';
  headSha: string;
  /** Changed files with the project each one belongs to (the riskiest, when several). */
  files: ChangedFileInput[];
  /** True when GitHub listed only its maximum of 3,000 changed files: `files` may miss some (approvals fail closed). */
  filesTruncated?: boolean;
  projects: PlanJobProject[];
}

export interface PlanJobProject {
  name: string;
  workspace: string;
  dir: string;
  workflow: string;
  varFiles: string[];
  tool?: 'tofu' | 'terraform';
  status: ProjectPlanResult['status'];
  risk?: RiskLevel;
  hasChanges?: boolean;
  /** Why a `skipped` project was not planned (e.g. autoplan is off for it). */
  skippedReason?: string;
}

/**
 * What a plan stores instead of its result when that is too large for the store (`MAX_JOB_RESULT_BYTES`):
 * the head and the size, so that every reader can say why this head has no usable plan (and refuse).
 */
export interface OversizedPlanResult {
  outcome: 'too-large';
  headSha: string;
  /** The size of the plan result's JSON, in UTF-8 bytes (null when an old store marker did not record it). */
  bytes: number | null;
  /** The store's bound, in bytes. */
  limit: number;
}

/**
 * Room left under the store's bound for what a `/plan` command job wraps around the plan result
 * (`{"command":"plan","outcome":"succeeded","plan":…}`), so that the result and its wrapper are kept or
 * dropped together and every plan result that is dropped is one this function reported.
 */
const WRAPPER_BYTES = 1024;

/** The plan result as it will be stored: itself when it fits, else what says it was too large. */
export function boundPlanResult(result: PlanJobResult): PlanJobResult | OversizedPlanResult {
  const bytes = jsonBytes(result);
  return bytes <= MAX_JOB_RESULT_BYTES - WRAPPER_BYTES ? result : { outcome: 'too-large', headSha: result.headSha, bytes, limit: MAX_JOB_RESULT_BYTES };
}

/** What every reader says about a head whose plan result was too large to store (and why it refuses). */
export function describeOversizedPlan(oversized: Pick<OversizedPlanResult, 'bytes' | 'limit'>): string {
  const limit = oversized.limit % (1024 * 1024) === 0 ? `${oversized.limit / (1024 * 1024)} MiB` : `${oversized.limit.toLocaleString('en-US')} bytes`;
  const size = oversized.bytes === null ? `over the limit of ${limit}` : `${oversized.bytes.toLocaleString('en-US')} bytes, limit ${limit}`;
  return `the plan result for this head was too large to store (${size}); split the PR`;
}

/**
 * The too-large plan result a finished job left, when it left one: the marker a plan wrote (a `plan` job,
 * or the plan of a `/plan` command job), or the store's own truncation marker on a `plan` job, whose head
 * the job row records (a command job's row records none, so its truncated result cannot be placed).
 */
export function oversizedPlanResult(job: PlanResultRow): OversizedPlanResult | undefined {
  if (job.status !== 'succeeded') return undefined;
  const candidate = job.kind === 'plan' ? job.result : job.kind === 'command' ? planOfCommand(job.result) : undefined;
  if (isOversized(candidate)) return candidate;
  if (job.kind === 'plan' && isTruncatedJobResult(job.result) && job.headSha !== '') {
    return { outcome: 'too-large', headSha: job.headSha, bytes: job.result.bytes ?? null, limit: job.result.limit ?? MAX_JOB_RESULT_BYTES };
  }
  return undefined;
}

function isOversized(value: unknown): value is OversizedPlanResult {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Partial<OversizedPlanResult>;
  return result.outcome === 'too-large' && typeof result.headSha === 'string' && result.headSha !== '' && typeof result.limit === 'number';
}

/**
 * The plan result a finished job left, when it published one: a `plan` job (autoplan, or a re-run of the
 * plan check) or the `command` job of a `/plan` comment. Only jobs that ended `succeeded` count: a
 * superseded, cancelled, interrupted or failed job's result says nothing about what is live at its head.
 */
export function publishedPlanResult(job: PlanResultRow): PlanJobResult | undefined {
  if (job.status !== 'succeeded') return undefined;
  const candidate = job.kind === 'plan' ? job.result : job.kind === 'command' ? planOfCommand(job.result) : undefined;
  return isPublished(candidate) ? candidate : undefined;
}

/** The `command` job of a `/plan` comment stores `{ command: 'plan', outcome, plan }` (CommandOutcome). */
function planOfCommand(result: unknown): unknown {
  if (typeof result !== 'object' || result === null) return undefined;
  const command = result as { command?: unknown; plan?: unknown };
  return command.command === 'plan' ? command.plan : undefined;
}

/** A stored result is used only when it has the shape a published plan writes (a truncated one does not). */
function isPublished(value: unknown): value is PlanJobResult {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Partial<PlanJobResult>;
  return result.outcome === 'published' && typeof result.headSha === 'string' && result.headSha !== '' && Array.isArray(result.files) && Array.isArray(result.projects);
}

/** Every published plan result of these jobs (any head), in job order. */
export function publishedPlanResults(jobs: readonly PlanResultRow[]): PlanJobResult[] {
  return [...jobs]
    .sort((a, b) => a.id - b.id)
    .flatMap((job) => {
      const result = publishedPlanResult(job);
      return result ? [result] : [];
    });
}

/**
 * The plan state of one head: every published plan result of exactly `headSha`, merged in order. A later
 * result of a (project, workspace) replaces the earlier one, except that a `skipped` project (not planned
 * by that run, e.g. an autoplan of a project with autoplan off) leaves an earlier plan or failure of it
 * in place: that plan is still the newest one of this head. Projects a result does not mention keep their
 * earlier entry. Changed files are merged: a path belongs to every project any result assigned it to, and
 * to none only when no result assigned it to one; the list is truncated when any result saw GitHub's listing
 * cut. Undefined when no plan of this head was published.
 * The merged projects are the results' own entries, not copies.
 */
export function mergeHeadPlans(results: readonly PlanJobResult[], headSha: string): PlanJobResult | undefined {
  const ofHead = results.filter((result) => result.outcome === 'published' && result.headSha === headSha);
  if (ofHead.length === 0) return undefined;
  const projects = new Map<string, PlanJobProject>();
  const files = new Map<string, Set<string>>();
  let filesTruncated = false;
  for (const result of ofHead) {
    // One head has one file list, but a run that saw it cut makes the merged list incomplete too.
    if (result.filesTruncated === true) filesTruncated = true;
    for (const project of result.projects) {
      const key = projectKey(project);
      const earlier = projects.get(key);
      if (earlier && earlier.status !== 'skipped' && project.status === 'skipped') continue;
      // A replaced project keeps its place: the comment lists projects in a stable order.
      projects.set(key, project);
    }
    for (const file of result.files) {
      const owners = files.get(file.path) ?? new Set<string>();
      if (file.project !== null) owners.add(file.project);
      files.set(file.path, owners);
    }
  }
  return {
    outcome: 'published',
    headSha,
    files: [...files].flatMap(([path, owners]): ChangedFileInput[] => (owners.size === 0 ? [{ path, project: null }] : [...owners].map((project) => ({ path, project })))),
    ...(filesTruncated ? { filesTruncated: true } : {}),
    projects: [...projects.values()],
  };
}

export function projectKey(project: { name: string; workspace: string }): string {
  return `${project.name}\u0000${project.workspace}`;
}

/**
 * The plan state of one head from these jobs: the merged published plans of it, or, when any plan of it was
 * too large to store, that (the newest such): the head's plan state is then incomplete, and every reader
 * refuses rather than act on part of it. Undefined when no plan of this exact head was published.
 */
export function headPlanStateOf(jobs: readonly PlanResultRow[], headSha: string): PlanJobResult | OversizedPlanResult | undefined {
  const oversized = [...jobs]
    .sort((a, b) => b.id - a.id)
    .map(oversizedPlanResult)
    .find((result) => result?.headSha === headSha);
  return oversized ?? mergeHeadPlans(publishedPlanResults(jobs), headSha);
}

/**
 * The plan state of the PR head `ref.headSha`, from the store (no GitHub request): what `/apply`, approval
 * evaluations, the apply check and `/rollback` go by. Undefined when no plan of this exact head was published;
 * `outcome: 'too-large'` when a plan of it was too large to store (say so with `describeOversizedPlan`).
 * Reads only the results of this head's jobs (and of commands that record no head), never other heads'.
 */
export async function readHeadPlanState(store: Store, ref: Pick<PullRequestRef, 'owner' | 'repo' | 'pr' | 'headSha'>): Promise<PlanJobResult | OversizedPlanResult | undefined> {
  const jobs = await store.listPlanResults({ repo: repoFullName(ref), pr: ref.pr, headSha: ref.headSha });
  return headPlanStateOf(jobs, ref.headSha);
}
