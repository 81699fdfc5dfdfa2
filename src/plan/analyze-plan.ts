/**
 * Plan analysis: summary, per-change header and diff, risk. One pass over the plan, no copies of
 * its values; each change's diff text is built only when someone reads `diff` (the JSON output never
 * does), so a 10,000-change plan costs little more than parsing it. {@link PlanAnalyzer} takes the
 * plan piece by piece, so a streaming reader never holds the whole plan (analyze-plan-file.ts).
 */
import type { ChangeAction, OutputChangeAnalysis, PlanAnalysis, ResourceChangeAnalysis, RiskLevel } from './analysis.js';
import { compareRisk, maxRisk } from './analysis.js';
import { classifyActions } from './classify-action.js';
import { describeChange } from './describe-change.js';
import { flattenString } from './flatten-string.js';
import { deepEqual, renderOutputDiff, renderResourceDiff } from './diff-attributes.js';
import { RiskEvaluator, type RiskFinding } from './evaluate-risk.js';
import type { RawPlan, RawResourceChange } from './plan-model.js';
import { PLAN_WIDE_LEVELS } from './risk-catalog.js';
import type { RiskConfig } from './risk-config.js';
import { countChange, emptySummary, isImporting, isMoved } from './summarize-plan.js';
import { hasAnyMask } from './value-mask.js';

export interface AnalyzePlanOptions<C = ResourceChangeAnalysis> {
  /** The parsed `risk` section of .github/infra-review.yml (defaults apply when absent). */
  risk?: Partial<RiskConfig>;
  /**
   * What the analysis keeps of each resource change, as `changes`. Without it, the change itself: a
   * small record that reads its fields, header and diff from the plan entry when they are read.
   * `render --format json` keeps only each change's JSON text (analysis-json.ts), so its output needs
   * no entry read twice. Counting, risk and the plan's reasons do not depend on it. (Give it whenever
   * `C` is not the default.)
   */
  keepChange?: KeepChange<C>;
}

/** Called once per reported change, in plan order; the change is not used again after it returns. */
export type KeepChange<C> = (change: ResourceChangeAnalysis) => C;

/** Top-level plan fields this version understands; anything else is reported in `notes`. */
const KNOWN_PLAN_FIELDS = new Set([
  'format_version',
  'terraform_version',
  'variables',
  'planned_values',
  'prior_state',
  'configuration',
  'resource_changes',
  'resource_drift',
  'output_changes',
  'relevant_attributes',
  'checks',
  'condition_results',
  'deferred_changes',
  'deferred_action_invocations',
  'action_invocations',
  'errored',
  'applyable',
  'complete',
  'timestamp',
  'provider_schemas',
  'provider_format_version',
]);

const MAX_PLAN_REASONS = 20;

/**
 * The top-level plan fields the analysis reads besides the two change lists. The streaming reader
 * (analyze-plan-file.ts) parses only these; the change lists come one entry at a time.
 */
export type PlanRest = Pick<
  RawPlan,
  'format_version' | 'terraform_version' | 'output_changes' | 'relevant_attributes' | 'checks' | 'deferred_changes' | 'errored' | 'applyable' | 'complete'
>;

/** The top-level fields {@link PlanAnalyzer.finish} reads. */
export const PLAN_REST_FIELDS: readonly (keyof PlanRest)[] = [
  'format_version',
  'terraform_version',
  'output_changes',
  'relevant_attributes',
  'checks',
  'deferred_changes',
  'errored',
  'applyable',
  'complete',
];

/**
 * Gives change list entries back, parsed again, when the analysis needs one after it was handed over:
 * for its header and diff text, and to filter drift. The streaming reader passes one store and a
 * number per entry instead of the entry (it re-reads the entry's bytes), so the analysis keeps no
 * parsed entry and no object per entry for finding it again.
 */
export interface RawChangeStore {
  loadRawChange(ref: number): RawResourceChange;
}

/** Where an entry comes back from: the entry itself (kept in memory, `ref` -1), or entry `ref` of a store. */
type RawChangeHolder = RawResourceChange | RawChangeStore;

function loadRaw(holder: RawChangeHolder, ref: number): RawResourceChange {
  return ref < 0 ? (holder as RawResourceChange) : (holder as RawChangeStore).loadRawChange(ref);
}

/** The whole plan in memory: the app's path. */
export function analyzePlan<C>(plan: RawPlan, options: AnalyzePlanOptions<C> & { keepChange: KeepChange<C> }): PlanAnalysis<C>;
export function analyzePlan(plan: RawPlan, options?: AnalyzePlanOptions): PlanAnalysis;
export function analyzePlan<C>(plan: RawPlan, options: AnalyzePlanOptions<C> = {}): PlanAnalysis<C> {
  const analyzer = new PlanAnalyzer<C>(options);
  for (const resource of plan.resource_changes ?? []) analyzer.addResourceChange(resource);
  for (const resource of plan.resource_drift ?? []) analyzer.addDrift(resource);
  return analyzer.finish(plan, Object.keys(plan));
}

/**
 * The analysis, fed piece by piece: resource changes and drift entries in plan order (in any
 * interleaving), then {@link finish} with the rest of the plan. One implementation of counting, risk
 * and notes for the in-memory plan ({@link analyzePlan}) and the streaming reader.
 */
export class PlanAnalyzer<C = ResourceChangeAnalysis> {
  private readonly evaluator: RiskEvaluator;
  private readonly keepChange: KeepChange<C>;
  private readonly summary = emptySummary();
  private readonly changes: C[] = [];
  /**
   * The highest risk of any change so far, and the distinct reasons of the changes at that level in
   * plan order: all the plan's reasons can need of the changes (kept here, as `changes` may be text).
   */
  private changeLevel: RiskLevel = 'none';
  private changeLevelReasons = new Set<string>();
  /** Drift entries that are not no-ops; whether they matter is known only with relevant_attributes. */
  private readonly driftCandidates: { holder: RawChangeHolder; ref: number; action: ChangeAction }[] = [];
  private effective = 0;
  private finished = false;

  constructor(options: AnalyzePlanOptions<C> = {}) {
    this.evaluator = new RiskEvaluator(options.risk);
    this.keepChange = options.keepChange ?? ((change) => change as C);
  }

  /**
   * One entry of `resource_changes`: count, describe, rate. The entry is kept for the record's fields,
   * header and diff, unless `store` gives it back as entry `ref` (0 or more).
   */
  addResourceChange(resource: RawResourceChange, store?: RawChangeStore, ref = -1): void {
    const action = classifyActions(resource.change.actions);
    countChange(this.summary, resource, action);
    if (action === 'no-op' && !isMoved(resource) && !isImporting(resource)) return;
    // Terraform does not show deleted data sources: forgetting a data source is not a change.
    if (action === 'delete' && resource.mode === 'data') return;
    if (resource.mode !== 'data' && action !== 'no-op' && action !== 'read') this.effective++;
    const risk = this.evaluator.evaluateChange(resource, action);
    const level = compareRisk(risk.level, this.changeLevel);
    if (level > 0) {
      this.changeLevel = risk.level;
      this.changeLevelReasons = new Set();
    }
    // Kept flat: each reason would otherwise hold its pieces, the change's address among them.
    if (level >= 0) for (const reason of risk.reasons) this.changeLevelReasons.add(flattenString(reason));
    // The record reads `resource` (in hand) while keepChange looks at it...
    const record = new ResourceChangeRecord(resource, -1, action, this.evaluator, risk);
    this.changes.push(this.keepChange(record));
    // ...and, kept, reads the entry from the store (or keeps it, in memory) and evaluates its reasons
    // again when they are read (few ever are): the reasons are most of what it would hold.
    if (store) record.settle(store, ref);
    else record.settle(resource, -1);
  }

  /** One entry of `resource_drift`: what changed outside Terraform since the last apply. Same `store` and `ref` as above. */
  addDrift(resource: RawResourceChange, store?: RawChangeStore, ref = -1): void {
    const action = classifyActions(resource.change.actions);
    // A move without other drift shows in the planned changes, as Terraform shows it.
    if (action === 'no-op') return;
    this.driftCandidates.push(store ? { holder: store, ref, action } : { holder: resource, ref: -1, action });
  }

  /** The rest of the plan; `keys` are its top-level keys in plan order (for the unknown-fields note). */
  finish(plan: PlanRest, keys: readonly string[]): PlanAnalysis<C> {
    if (this.finished) throw new Error('PlanAnalyzer.finish called twice');
    this.finished = true;
    const { evaluator, changes } = this;

    // 1. Drift that matters.
    const drift: ResourceChangeAnalysis[] = [];
    const relevant = relevantAttributesByResource(plan);
    for (const { holder, ref, action } of this.driftCandidates) {
      const resource = loadRaw(holder, ref);
      if (relevant && !isRelevantDrift(resource, action, relevant)) continue;
      drift.push(new ResourceChangeRecord(holder, ref, action, undefined, { level: 'none', reasons: [] }));
    }

    // 2. Outputs.
    const outputs: OutputChangeAnalysis[] = [];
    for (const [name, change] of Object.entries(plan.output_changes ?? {})) {
      const action = classifyActions(change.actions);
      if (action === 'no-op') continue;
      let diff: string | undefined;
      outputs.push({
        name,
        action,
        sensitive: hasAnyMask(change.before_sensitive) || hasAnyMask(change.after_sensitive),
        get diff(): string {
          return (diff ??= renderOutputDiff(name, change));
        },
      });
    }

    // 3. Plan-wide risk.
    const planReasons: { level: RiskLevel; reason: string }[] = [];
    if (this.effective >= evaluator.manyChangesThreshold) {
      planReasons.push({
        level: PLAN_WIDE_LEVELS.manyChanges,
        reason: `${this.effective} resources change in one plan (at least ${evaluator.manyChangesThreshold}, risk.many_changes_threshold): a large change is hard to review`,
      });
    }
    if (drift.length > 0) {
      planReasons.push({
        level: PLAN_WIDE_LEVELS.drift,
        reason: `${drift.length} resource${drift.length === 1 ? '' : 's'} changed outside Terraform (drift): this plan may undo those changes`,
      });
    }
    const level = maxRisk([...planReasons.map((r) => r.level), this.changeLevel]);
    const reasons = planReasons.filter((r) => r.level === level || level === 'critical' || level === 'high').map((r) => r.reason);
    // The reasons of the changes at the plan's level (none when a plan-wide reason set a higher one).
    const listed = level === this.changeLevel ? [...this.changeLevelReasons] : [];
    reasons.push(...listed.slice(0, MAX_PLAN_REASONS));
    if (listed.length > MAX_PLAN_REASONS) reasons.push(`and ${listed.length - MAX_PLAN_REASONS} more reasons at this level`);
    if (level === 'none' && changes.length === 0 && outputs.length === 0) reasons.push('no changes');

    // 4. Notes: what a reviewer must know that is not a resource diff.
    const notes: string[] = [];
    collectNotes(plan, keys, notes);

    return {
      formatVersion: plan.format_version,
      terraformVersion: plan.terraform_version,
      summary: this.summary,
      risk: { level, reasons },
      changes,
      drift,
      outputs,
      errored: plan.errored === true,
      applyable: plan.applyable,
      complete: plan.complete,
      notes,
    };
  }
}

/**
 * One analysed change: its risk and action, and where its plan entry is; every other field is a getter
 * on the prototype that reads the entry (`loadRaw`: the entry itself in memory, or parsed again from the
 * file, the last one kept). The header and diff are rendered, and the reasons evaluated again, each time
 * they are read: a comment shows a few hundred changes, each read once or twice, and a plan's JSON
 * output never pays for diff text. So 10,000 changes cost 10,000 objects of six fields. The reasons
 * found during the analysis are handed over with the record and kept until {@link settle}.
 * (Read fields as properties, e.g. `change.address`; an object spread copies only `risk` and `action`.)
 */
class ResourceChangeRecord implements ResourceChangeAnalysis {
  readonly action: ChangeAction;
  readonly risk: RiskLevel;
  #raw: RawChangeHolder;
  #ref: number;
  /** Evaluates the reasons again; none for drift (which has no risk of its own). */
  readonly #evaluator: RiskEvaluator | undefined;
  /** The reasons found during the analysis, until {@link settle}. */
  #reasons: string[] | undefined;

  /** `raw` (the entry itself or a store) and `ref` give the entry back. `evaluator` gave `risk`; none for drift. */
  constructor(raw: RawChangeHolder, ref: number, action: ChangeAction, evaluator: RiskEvaluator | undefined, risk: RiskFinding) {
    this.action = action;
    this.risk = risk.level;
    this.#raw = raw;
    this.#ref = ref;
    this.#evaluator = evaluator;
    this.#reasons = risk.reasons;
  }

  /** From now on the entry comes from `raw` and `ref`, and the reasons given at construction are let go: read again, they are evaluated again. */
  settle(raw: RawChangeHolder, ref: number): void {
    this.#raw = raw;
    this.#ref = ref;
    this.#reasons = undefined;
  }

  #entry(): RawResourceChange {
    return loadRaw(this.#raw, this.#ref);
  }

  get address(): string {
    return this.#entry().address;
  }

  get previousAddress(): string | undefined {
    const entry = this.#entry();
    return isMoved(entry) ? entry.previous_address : undefined;
  }

  get mode(): 'managed' | 'data' {
    return this.#entry().mode === 'data' ? 'data' : 'managed';
  }

  get type(): string {
    return this.#entry().type ?? '';
  }

  get name(): string {
    return this.#entry().name ?? '';
  }

  get providerName(): string | undefined {
    return this.#entry().provider_name;
  }

  get actions(): string[] {
    return this.#entry().change.actions;
  }

  get actionReason(): string | undefined {
    return this.#entry().action_reason;
  }

  get importing(): boolean {
    return isImporting(this.#entry());
  }

  get deposed(): string | undefined {
    return this.#entry().deposed;
  }

  get header(): string {
    return describeChange(this.#entry(), this.action, this.#evaluator ? 'change' : 'drift');
  }

  get diff(): string {
    const entry = this.#entry();
    return renderResourceDiff({ mode: entry.mode, type: entry.type, name: entry.name, action: this.action, change: entry.change, importing: isImporting(entry) });
  }

  get reasons(): string[] {
    if (this.#reasons !== undefined) return this.#reasons;
    // The same evaluator on the same entry: the reasons that gave `risk`.
    return this.#evaluator ? this.#evaluator.evaluateChange(this.#entry(), this.action).reasons : [];
  }

  /** JSON.stringify of a record: every field (getters are not enumerable); optional ones only when present. */
  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = { address: this.address };
    const optional = (key: string, value: unknown): void => {
      if (value !== undefined) json[key] = value;
    };
    optional('previousAddress', this.previousAddress);
    Object.assign(json, { mode: this.mode, type: this.type, name: this.name });
    optional('providerName', this.providerName);
    Object.assign(json, { actions: this.actions, action: this.action });
    optional('actionReason', this.actionReason);
    json.importing = this.importing;
    optional('deposed', this.deposed);
    return Object.assign(json, { risk: this.risk, reasons: this.reasons, header: this.header, diff: this.diff });
  }
}

/**
 * Since Terraform 1.2 a plan lists the attributes its changes depend on (`relevant_attributes`);
 * Terraform itself only shows drift in those, so drift elsewhere (a tag edited in the console that
 * nothing reads) is not reported, nor does it raise the risk. Without the list, all drift counts.
 */
function relevantAttributesByResource(plan: PlanRest): Map<string, (string | number)[][]> | undefined {
  if (!Array.isArray(plan.relevant_attributes)) return undefined;
  const byResource = new Map<string, (string | number)[][]>();
  for (const entry of plan.relevant_attributes) {
    if (typeof entry?.resource !== 'string' || !Array.isArray(entry.attribute)) continue;
    const list = byResource.get(entry.resource) ?? [];
    list.push(entry.attribute);
    byResource.set(entry.resource, list);
  }
  return byResource;
}

function isRelevantDrift(resource: RawResourceChange, action: ChangeAction, relevant: Map<string, (string | number)[][]>): boolean {
  // An object deleted outside Terraform always matters.
  if (action === 'delete') return true;
  const paths = relevant.get(resource.address);
  if (!paths) return false;
  return paths.some((path) => !deepEqual(valueAt(resource.change.before, path), valueAt(resource.change.after, path)));
}

function valueAt(value: unknown, path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[String(key)];
  }
  return current;
}

function collectNotes(plan: PlanRest, keys: readonly string[], notes: string[]): void {
  const major = Number(plan.format_version.split('.')[0]);
  if (major > 1) notes.push(`This plan has format_version ${plan.format_version}, newer than infra-review knows (up to 1.x): parts of it may be missing here.`);
  if (plan.errored === true) notes.push('Terraform reported errors while planning (errored): the plan is incomplete and cannot be applied.');
  if (plan.applyable === false && plan.errored !== true) notes.push('Terraform marked this plan as not applyable.');
  if (plan.complete === false) notes.push('This plan is incomplete (complete = false): after applying it, another plan and apply will be needed.');
  for (const deferred of plan.deferred_changes ?? []) {
    const address = deferred.resource_change?.address ?? 'a resource';
    notes.push(`${address} was deferred to a later plan (${describeDeferral(deferred.reason)}).`);
  }
  for (const check of plan.checks ?? []) {
    if (check.status !== 'fail' && check.status !== 'error') continue;
    const name = check.address?.to_display ?? 'a check';
    const problems = (check.instances ?? []).flatMap((instance) => (instance.problems ?? []).map((p) => p.message).filter((m): m is string => typeof m === 'string'));
    notes.push(`Check ${name} ${check.status === 'fail' ? 'failed' : 'errored'}${problems.length > 0 ? `: ${problems.join('; ')}` : ''}`);
  }
  const unknownFields = keys.filter((key) => !KNOWN_PLAN_FIELDS.has(key));
  if (unknownFields.length > 0) notes.push(`The plan has fields this version of infra-review does not know (ignored): ${unknownFields.join(', ')}.`);
}

function describeDeferral(reason: string | undefined): string {
  switch (reason) {
    case 'instance_count_unknown':
      return 'because the number of resource instances is unknown';
    case 'resource_config_unknown':
      return 'because the resource configuration is unknown';
    case 'provider_config_unknown':
      return 'because the provider configuration is unknown';
    case 'deferred_prereq':
      return 'because a prerequisite for this resource is deferred';
    case 'absent_prereq':
      return 'because a prerequisite for this resource has not yet been created';
    default:
      return reason ? `reason: ${reason}` : 'for an unknown reason';
  }
}
