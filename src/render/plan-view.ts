import { maxRisk, RISK_LEVELS } from '../plan/analysis.js';
import type { ChangeAction, PlanAnalysis, PlanSummary, ResourceChangeAnalysis, RiskLevel } from '../plan/analysis.js';
import { trimTrailingNewlines } from './markdown-text.js';
import type { PlanCommentInput, ProjectApplyInfo, ProjectPlanResult } from './plan-comment-input.js';

/**
 * The view model behind views/plan-*.hbs: every decision (wording, order, caps) is made here, so the
 * templates only lay text out. Untrusted strings stay raw here; the templates escape them with helpers.
 */

const RISK_BADGE: Record<RiskLevel, string> = {
  none: '⚪ none',
  low: '🟢 low',
  medium: '🟡 medium',
  high: '🟠 high',
  critical: '🔴 critical',
};

/** Most risk reasons listed in the summary; the rest are in the per-resource details. */
const MAX_SUMMARY_REASONS = 20;
/** Most projects named as examples in the next-step commands. */
const MAX_EXAMPLE_PROJECTS = 3;

const ACTION_WORDS: Record<ChangeAction, string> = {
  'no-op': 'has no changes',
  create: 'will be created',
  read: 'will be read during apply',
  update: 'will be updated in-place',
  delete: 'will be destroyed',
  replace: 'must be replaced',
  'replace-create-first': 'must be replaced (create before destroy)',
  forget: 'will be removed from the state, not destroyed',
  'create-forget': 'will be created, then removed from the state',
  unknown: 'has actions this version does not know',
};

export interface ResourceView {
  address: string;
  badge: string;
  /** Our own wording, e.g. "will be created (imported)". */
  words: string;
  reasons: string[];
  /** Terraform's header and the attribute diff, shown in a ```diff fence. */
  diff: string;
}

/**
 * A planned project. `changes` and `drift` stay analysis objects: their diff text is built only when a
 * resource is rendered ({@link resourceView}), and a huge plan renders only what fits.
 */
export interface PlannedProjectView {
  name: string;
  dir: string;
  workspace: string;
  counts: string;
  badge: string;
  hasChanges: boolean;
  /** Riskiest first. */
  changes: ResourceChangeAnalysis[];
  drift: ResourceChangeAnalysis[];
  analysis: PlanAnalysis;
}

/** A project planned by an earlier run at this commit and not planned again by this one: summary only. */
export interface EarlierProjectView {
  name: string;
  dir: string;
  workspace: string;
  /** Empty when the summary is no longer known. */
  counts: string;
  badge: string;
  /** `/plan -p NAME`, to show its details again. */
  planCommand: string;
}

export interface SummaryRow {
  name: string;
  add: string;
  change: string;
  destroy: string;
  replace: string;
  badge: string;
  status: string;
  /** Untrusted detail shown after the status (skip reason, who applied). */
  statusDetail: string;
}

export interface PlanView {
  title: string;
  subtitle: string;
  rows: SummaryRow[];
  total: SummaryRow | null;
  approvalStatus: string | null;
  notices: string[];
  reasons: { project: string | null; text: string }[];
  moreReasons: number;
  planned: PlannedProjectView[];
  plannedEarlier: EarlierProjectView[];
  failed: { name: string; dir: string; workspace: string; message: string; output: string }[];
  next: {
    hasFailed: boolean;
    canApply: boolean;
    /** `/apply -p NAME` for a few projects with changes (only when there are several projects). */
    applyCommands: string[];
    planCommand: string | null;
    /** `/plan -p NAME` for each project not planned at this commit (skipped): `infra-review/apply` waits for them. */
    toPlan: string[];
  };
}

function shortSha(sha: string): string {
  return /^[0-9a-f]{7,64}$/i.test(sha) ? sha.slice(0, 7) : '';
}

export function countsText(summary: PlanAnalysis['summary']): string {
  const parts = [`${summary.add} to add`, `${summary.change} to change`, `${summary.destroy} to destroy`];
  if (summary.replace > 0) parts.push(`${summary.replace} to replace`);
  if (summary.import > 0) parts.push(`${summary.import} to import`);
  if (summary.move > 0) parts.push(`${summary.move} to move`);
  if (summary.forget > 0) parts.push(`${summary.forget} to forget`);
  return parts.join(', ');
}

function hasChanges(analysis: PlanAnalysis): boolean {
  const s = analysis.summary;
  return s.add + s.change + s.destroy + s.replace + s.import + s.move + s.forget > 0 || analysis.outputs.length > 0;
}

function resourceWords(change: ResourceChangeAnalysis): string {
  let words = ACTION_WORDS[change.action] ?? ACTION_WORDS.unknown;
  if (change.action === 'no-op' && change.importing) words = 'will be imported';
  else if (change.action === 'no-op' && change.previousAddress) words = 'has moved';
  else if (change.importing) words += ' (imported)';
  if (change.action === 'unknown') words += `: ${change.actions.join(', ')}`;
  if (change.deposed) words = `(deposed object) ${words}`;
  if (change.actionReason) words += ` (${change.actionReason.replace(/_/g, ' ')})`;
  return words;
}

/** Terraform's wording for objects that changed outside Terraform. */
const DRIFT_WORDS: Partial<Record<ChangeAction, string>> = {
  update: 'has changed',
  delete: 'has been deleted',
  create: 'has been created',
  replace: 'has been replaced',
  'replace-create-first': 'has been replaced',
};

export function resourceView(change: ResourceChangeAnalysis, drift = false): ResourceView {
  const header = change.header.trim();
  const diff = trimTrailingNewlines(change.diff);
  const moved = change.previousAddress ? `# (moved from ${change.previousAddress})\n` : '';
  return {
    address: change.address,
    badge: change.risk === 'none' || drift ? '' : RISK_BADGE[change.risk],
    words: (drift ? DRIFT_WORDS[change.action] : undefined) ?? resourceWords(change),
    reasons: drift ? [] : change.reasons,
    diff: [header, moved + diff].filter((part) => part !== '').join('\n'),
  };
}

/** Riskiest first, plan order within a level: the resources a reviewer must see land in comment 1. */
function byRisk(changes: ResourceChangeAnalysis[]): ResourceChangeAnalysis[] {
  // A stable bucket sort over the five levels: linear for plans of any size.
  const buckets = new Map<RiskLevel, ResourceChangeAnalysis[]>(RISK_LEVELS.map((level) => [level, []]));
  for (const change of changes) (buckets.get(change.risk) ?? (buckets.get('critical') as ResourceChangeAnalysis[])).push(change);
  return [...RISK_LEVELS].reverse().flatMap((level) => buckets.get(level) as ResourceChangeAnalysis[]);
}

function appliedDetail(info: ProjectApplyInfo | undefined): { status: string; detail: string } | undefined {
  if (!info) return undefined;
  const status = { applied: '✅ applied', failed: '❌ apply failed', 'in-progress': '⏳ applying' }[info.status];
  const detail = [info.by ? `by ${info.by}` : '', info.sha && shortSha(info.sha) ? `at ${shortSha(info.sha)}` : ''].filter(Boolean).join(' ');
  return { status, detail };
}

function summaryRow(project: ProjectPlanResult, applied: ProjectApplyInfo | undefined): SummaryRow {
  const dash = '–';
  const empty = { add: dash, change: dash, destroy: dash, replace: dash, badge: dash, statusDetail: '' };
  if (project.status === 'failed') return { name: project.name, ...empty, status: '❌ plan failed' };
  const earlier = project.status === 'planned' && !project.analysis ? project.plannedEarlier : undefined;
  if (earlier) {
    const apply = appliedDetail(applied);
    const { summary } = earlier;
    return {
      name: project.name,
      add: summary ? String(summary.add) : dash,
      change: summary ? String(summary.change) : dash,
      destroy: summary ? String(summary.destroy) : dash,
      replace: summary ? String(summary.replace) : dash,
      badge: earlier.risk ? RISK_BADGE[earlier.risk] : dash,
      status: apply?.status ?? (earlier.hasChanges ? '📝 planned earlier at this commit' : '✔️ no changes (planned earlier at this commit)'),
      statusDetail: apply?.detail ?? '',
    };
  }
  if (project.status === 'skipped' || !project.analysis) {
    return { name: project.name, ...empty, status: '⏭️ skipped', statusDetail: project.skippedReason ?? '' };
  }
  const { summary, risk, errored } = project.analysis;
  const apply = appliedDetail(applied);
  let status = hasChanges(project.analysis) ? '📝 planned' : '✔️ no changes';
  if (errored) status = '⚠️ plan errored';
  return {
    name: project.name,
    add: String(summary.add),
    change: String(summary.change),
    destroy: String(summary.destroy),
    replace: String(summary.replace),
    badge: RISK_BADGE[risk.level],
    status: apply?.status ?? status,
    statusDetail: apply?.detail ?? '',
  };
}

function plannedView(project: ProjectPlanResult, analysis: PlanAnalysis): PlannedProjectView {
  return {
    name: project.name,
    dir: project.dir,
    workspace: project.workspace,
    counts: countsText(analysis.summary),
    badge: RISK_BADGE[analysis.risk.level],
    hasChanges: analysis.changes.length > 0,
    changes: byRisk(analysis.changes),
    drift: analysis.drift,
    analysis,
  };
}

/** Output changes and notes shown after a project's resources. */
export function projectEndView(project: PlannedProjectView): { outputsDiff: string; notes: string[] } {
  return {
    outputsDiff: project.analysis.outputs
      .map((output) => trimTrailingNewlines(output.diff))
      .filter((diff) => diff !== '')
      .join('\n'),
    notes: project.analysis.notes,
  };
}

function plannedProjects(input: PlanCommentInput): { project: ProjectPlanResult; analysis: PlanAnalysis }[] {
  return input.projects.flatMap((project) =>
    project.status === 'planned' && project.analysis ? [{ project, analysis: project.analysis }] : [],
  );
}

/** Every planned project, planned by this run (with its analysis) or earlier at this commit (summary and risk only). */
function summarizedProjects(input: PlanCommentInput): { project: ProjectPlanResult; summary: PlanSummary | null; risk: RiskLevel | null; hasChanges: boolean }[] {
  return input.projects.flatMap((project) => {
    if (project.status !== 'planned') return [];
    if (project.analysis) return [{ project, summary: project.analysis.summary, risk: project.analysis.risk.level, hasChanges: hasChanges(project.analysis) }];
    return project.plannedEarlier ? [{ project, ...project.plannedEarlier }] : [];
  });
}

export function overallRisk(input: PlanCommentInput): RiskLevel {
  return maxRisk(summarizedProjects(input).flatMap(({ risk }) => (risk ? [risk] : [])));
}

/** One line for the check run title and the CLI: "3 to add, 1 to change, 0 to destroy · risk high". */
export function planTitle(input: PlanCommentInput): string {
  const failed = input.projects.filter((p) => p.status === 'failed').length;
  const planned = summarizedProjects(input);
  if (input.projects.length === 0) return 'No infrastructure projects affected';
  if (failed > 0) return `${failed} of ${input.projects.length} ${input.projects.length === 1 ? 'project' : 'projects'} failed to plan`;
  if (planned.length === 0) return 'No project was planned';
  const total = sumSummaries(planned.flatMap(({ summary }) => (summary ? [summary] : [])));
  return `${countsText(total)} · risk ${overallRisk(input)}`;
}

function sumSummaries(summaries: PlanAnalysis['summary'][]): PlanAnalysis['summary'] {
  const total = { add: 0, change: 0, destroy: 0, replace: 0, import: 0, move: 0, forget: 0, read: 0, no_op: 0 };
  for (const s of summaries) for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += s[key];
  return total;
}

export function buildPlanView(input: PlanCommentInput): PlanView {
  const applied = new Map((input.applied ?? []).map((info) => [info.project, info]));
  const planned = plannedProjects(input);
  const summarized = summarizedProjects(input);
  const rows = input.projects.map((project) => summaryRow(project, applied.get(project.name)));
  let total: SummaryRow | null = null;
  if (summarized.length > 1 || (summarized.length > 0 && input.projects.length > 1)) {
    const sum = sumSummaries(summarized.flatMap(({ summary }) => (summary ? [summary] : [])));
    total = {
      name: 'Total',
      add: String(sum.add),
      change: String(sum.change),
      destroy: String(sum.destroy),
      replace: String(sum.replace),
      badge: RISK_BADGE[overallRisk(input)],
      status: '',
      statusDetail: '',
    };
  }

  const allReasons = planned.flatMap(({ project, analysis }) =>
    analysis.risk.reasons.map((text) => ({ project: input.projects.length > 1 ? project.name : null, text })),
  );
  const sha = shortSha(input.headSha);
  const withChanges = summarized.filter((entry) => entry.hasChanges).map(({ project }) => project.name);
  return {
    title: planTitle(input),
    subtitle: sha ? `commit ${sha}` : '',
    rows,
    total,
    approvalStatus: input.approvalStatus ?? null,
    notices: input.notices ?? [],
    reasons: allReasons.slice(0, MAX_SUMMARY_REASONS),
    moreReasons: Math.max(0, allReasons.length - MAX_SUMMARY_REASONS),
    planned: planned.map(({ project, analysis }) => plannedView(project, analysis)),
    plannedEarlier: summarized
      .filter(({ project }) => !project.analysis)
      .map(({ project, summary, risk }) => ({
        name: project.name,
        dir: project.dir,
        workspace: project.workspace,
        counts: summary ? countsText(summary) : '',
        badge: risk ? RISK_BADGE[risk] : '–',
        planCommand: `/plan -p ${project.name}`,
      })),
    failed: input.projects
      .filter((project) => project.status === 'failed')
      .map((project) => ({
        name: project.name,
        dir: project.dir,
        workspace: project.workspace,
        message: project.error?.message ?? 'The plan failed without an error message.',
        output: project.error?.output ?? '',
      })),
    next: {
      hasFailed: input.projects.some((project) => project.status === 'failed'),
      canApply: withChanges.length > 0,
      applyCommands: input.projects.length > 1 ? withChanges.slice(0, MAX_EXAMPLE_PROJECTS).map((name) => `/apply -p ${name}`) : [],
      planCommand: input.projects.length > 1 ? `/plan -p ${(input.projects[0] as ProjectPlanResult).name}` : null,
      toPlan: input.projects.filter((project) => project.status === 'skipped').map((project) => `/plan -p ${project.name}`),
    },
  };
}
