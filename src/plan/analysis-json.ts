/**
 * The `infra-review render --format json` contract (DESIGN.md): format_version, summary, risk,
 * changes[{address, actions, risk, reasons}], plus a few additive fields. Diff text is not part of
 * it (so producing it never renders a diff), and nothing here carries an attribute value.
 */
import type { PlanAnalysis, ResourceChangeAnalysis } from './analysis.js';
import { flattenString } from './flatten-string.js';

export interface AnalysisJsonChange {
  address: string;
  actions: string[];
  risk: string;
  reasons: string[];
  action: string;
  previous_address?: string;
  importing?: true;
  deposed?: string;
  action_reason?: string;
}

export interface AnalysisJson {
  format_version: string;
  terraform_version?: string;
  summary: PlanAnalysis['summary'];
  risk: { level: string; reasons: string[] };
  changes: AnalysisJsonChange[];
  drift: { address: string; actions: string[]; action: string }[];
  outputs: { name: string; action: string; sensitive: boolean }[];
  errored: boolean;
  notes: string[];
}

export function toAnalysisJson(analysis: PlanAnalysis): AnalysisJson {
  return {
    format_version: analysis.formatVersion,
    ...(analysis.terraformVersion === undefined ? {} : { terraform_version: analysis.terraformVersion }),
    summary: { ...analysis.summary },
    risk: { level: analysis.risk.level, reasons: [...analysis.risk.reasons] },
    changes: analysis.changes.map(toChangeJson),
    drift: analysis.drift.map((d) => ({ address: d.address, actions: d.actions, action: d.action })),
    outputs: analysis.outputs.map((o) => ({ name: o.name, action: o.action, sensitive: o.sensitive })),
    errored: analysis.errored,
    notes: analysis.notes,
  };
}

function toChangeJson(change: ResourceChangeAnalysis): AnalysisJsonChange {
  const entry: AnalysisJsonChange = {
    address: change.address,
    actions: change.actions,
    risk: change.risk,
    reasons: change.reasons,
    action: change.action,
  };
  if (change.previousAddress !== undefined) entry.previous_address = change.previousAddress;
  if (change.importing) entry.importing = true;
  if (change.deposed !== undefined) entry.deposed = change.deposed;
  if (change.actionReason !== undefined) entry.action_reason = change.actionReason;
  return entry;
}

/** The keys of an entry of `changes`, in the order {@link toChangeJson} writes them. */
const CHANGE_KEYS = ['address', 'actions', 'risk', 'reasons', 'action', 'previous_address', 'importing', 'deposed', 'action_reason'] as const;

/**
 * A change as `render --format json` keeps it while the rest of the plan is read: the values of its
 * entry of `changes`, as a compact JSON array in {@link CHANGE_KEYS} order (null for an absent key,
 * trailing ones left out), e.g. `["aws_s3_bucket.logs",["create"],"low",["creates aws_s3_bucket.logs"],"create"]`.
 * One flat string per change, about 130 bytes, instead of a record with its arrays and strings.
 */
export type ChangeJsonText = string & { readonly __changeJsonText: true };

/** The values of a change's entry of `changes`, in {@link CHANGE_KEYS} order (null: absent). */
function changeValues(change: ResourceChangeAnalysis): unknown[] {
  const entry: Partial<Record<(typeof CHANGE_KEYS)[number], unknown>> = toChangeJson(change);
  return CHANGE_KEYS.map((key) => entry[key] ?? null);
}

/** What {@link PlanAnalyzer} keeps of each change for `render --format json` (its `keepChange`). */
export function changeJsonText(change: ResourceChangeAnalysis): ChangeJsonText {
  const values = changeValues(change);
  while (values.length > 0 && values[values.length - 1] === null) values.pop();
  return flattenString(JSON.stringify(values) as ChangeJsonText);
}

/**
 * The entry of `changes` for `values`, as `JSON.stringify(entry, null, 2)` writes it nested two levels
 * deep (every line but the first four spaces further right), without building the object. Its values
 * are strings, `true` and lists of strings (`actions`, which the plan model checks, and `reasons`).
 */
function entryText(values: readonly unknown[]): string {
  let text = '{';
  for (let i = 0; i < CHANGE_KEYS.length; i++) {
    const value = values[i];
    if (value === undefined || value === null) continue;
    text += `${text === '{' ? '' : ','}\n      "${CHANGE_KEYS[i]}": ${valueText(value)}`;
  }
  return `${text}\n    }`;
}

function valueText(value: unknown): string {
  if (!Array.isArray(value)) return JSON.stringify(value);
  return value.length === 0 ? '[]' : `[\n        ${value.map((item) => JSON.stringify(item)).join(',\n        ')}\n      ]`;
}

const CHANGES_KEY = '\n  "changes": []';

/**
 * `JSON.stringify(toAnalysisJson(analysis), null, 2)` and a newline, the same text, in pieces of about
 * `pieceLength` characters: a 10,000-change analysis is never one string, nor one object tree. Small
 * pieces die young: written out before the next garbage collection, they never reach the old space.
 */
export function* analysisJsonPieces(analysis: PlanAnalysis<ResourceChangeAnalysis | ChangeJsonText>, pieceLength = 16 * 1024): Generator<string> {
  const frame = JSON.stringify(toAnalysisJson({ ...analysis, changes: [] }), null, 2);
  // The only raw `"changes": []` in the frame is the key: quotes inside values are escaped.
  const at = frame.indexOf(CHANGES_KEY);
  if (analysis.changes.length === 0 || at < 0) {
    yield `${frame}\n`;
    return;
  }
  let piece = `${frame.slice(0, at)}\n  "changes": [`;
  for (let i = 0; i < analysis.changes.length; i++) {
    const change = analysis.changes[i] as ResourceChangeAnalysis | ChangeJsonText;
    piece += `${i === 0 ? '' : ','}\n    ${entryText(typeof change === 'string' ? (JSON.parse(change) as unknown[]) : changeValues(change))}`;
    if (piece.length >= pieceLength) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}\n  ]${frame.slice(at + CHANGES_KEY.length)}\n`;
}
