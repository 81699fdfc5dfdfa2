import type { PlanAnalysis } from '../../src/plan/analysis.js';
import { toAnalysisJson } from '../../src/plan/analysis-json.js';

/** Everything an analysis holds, its lazily built texts (headers, diffs) included, as plain data. */
export function analysisSnapshot(analysis: PlanAnalysis): unknown {
  // Every field of ResourceChangeAnalysis, read one by one: they are getters, which a spread would skip.
  const texts = (list: PlanAnalysis['changes']) =>
    list.map((change) => ({
      address: change.address,
      previousAddress: change.previousAddress,
      mode: change.mode,
      type: change.type,
      name: change.name,
      providerName: change.providerName,
      actions: change.actions,
      action: change.action,
      actionReason: change.actionReason,
      importing: change.importing,
      deposed: change.deposed,
      risk: change.risk,
      reasons: change.reasons,
      header: change.header,
      diff: change.diff,
    }));
  return {
    json: toAnalysisJson(analysis),
    changes: texts(analysis.changes),
    drift: texts(analysis.drift),
    outputs: analysis.outputs.map((output) => ({ ...output, diff: output.diff })),
    applyable: analysis.applyable,
    complete: analysis.complete,
  };
}
