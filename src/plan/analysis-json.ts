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

/**
 * A change as `render --format json` keeps it while the rest of the plan is read: its entry of
 * `changes` as compact JSON text, e.g. `{"address":"aws_s3_bucket.logs","actions":["create"],...}`.
 * One flat string per change, about 190 bytes, instead of a record with its arrays and strings.
 */
export type ChangeJsonText = string & { readonly __changeJsonText: true };

/** What {@link PlanAnalyzer} keeps of each change for `render --format json` (its `keepChange`). */
export function changeJsonText(change: ResourceChangeAnalysis): ChangeJsonText {
  return flattenString(JSON.stringify(toChangeJson(change)) as ChangeJsonText);
}

/** Changes formatted together: JSON.parse and JSON.stringify do the work natively, a batch at a time. */
const BATCH = 64;

/**
 * Entries `from` to `to` of `changes`, as they stand in `JSON.stringify(document, null, 2)`: each on
 * its own lines, four spaces in, separated by commas (and no comma before the first).
 */
function changeEntriesText(changes: readonly (ResourceChangeAnalysis | ChangeJsonText)[], from: number, to: number): string {
  const batch = changes.slice(from, to);
  const entries = batch.every((change) => typeof change === 'string')
    ? (JSON.parse(`[${batch.join(',')}]`) as unknown[])
    : batch.map((change) => (typeof change === 'string' ? (JSON.parse(change) as unknown) : toChangeJson(change)));
  // "[\n  {...},\n  {...}\n]": without the brackets, two levels deeper.
  const text = JSON.stringify(entries, null, 2);
  return text.slice(1, -2).replaceAll('\n', '\n  ');
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
  for (let i = 0; i < analysis.changes.length; i += BATCH) {
    piece += `${i === 0 ? '' : ','}${changeEntriesText(analysis.changes, i, i + BATCH)}`;
    if (piece.length >= pieceLength) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}\n  ]${frame.slice(at + CHANGES_KEY.length)}\n`;
}
