/**
 * The `infra-review render --format json` contract (DESIGN.md): format_version, summary, risk,
 * changes[{address, actions, risk, reasons}], plus a few additive fields. Diff text is not part of
 * it (so producing it never renders a diff), and nothing here carries an attribute value.
 */
import type { PlanAnalysis } from './analysis.js';

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
    changes: analysis.changes.map((change) => {
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
    }),
    drift: analysis.drift.map((d) => ({ address: d.address, actions: d.actions, action: d.action })),
    outputs: analysis.outputs.map((o) => ({ name: o.name, action: o.action, sensitive: o.sensitive })),
    errored: analysis.errored,
    notes: analysis.notes,
  };
}
