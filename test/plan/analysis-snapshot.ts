import type { PlanAnalysis } from '../../src/plan/analysis.js';
import { toAnalysisJson } from '../../src/plan/analysis-json.js';

/** Everything an analysis holds, its lazily built texts (headers, diffs) included, as plain data. */
export function analysisSnapshot(analysis: PlanAnalysis): unknown {
  const texts = (list: PlanAnalysis['changes']) => list.map((change) => ({ ...change, header: change.header, diff: change.diff }));
  return {
    json: toAnalysisJson(analysis),
    changes: texts(analysis.changes),
    drift: texts(analysis.drift),
    outputs: analysis.outputs.map((output) => ({ ...output, diff: output.diff })),
    applyable: analysis.applyable,
    complete: analysis.complete,
  };
}
