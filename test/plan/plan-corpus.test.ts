import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzePlan } from '../../src/plan/analyze-plan.js';
import { FIXTURE_PLANS_DIR, listFixturePlans } from './fixture-plans.js';
import { toAnalysisJson } from '../../src/plan/analysis-json.js';
import { parsePlanJson, type RawPlan, type RawResourceChange } from '../../src/plan/plan-model.js';
import { collectMaskedStrings } from '../../src/plan/value-mask.js';

const PLANS = FIXTURE_PLANS_DIR;


/** Terraform's own counts from the human-readable twin, or undefined when there is no twin. */
function expectedCounts(jsonFile: string): { add: number; change: number; destroy: number } | undefined {
  const txt = jsonFile.replace(/\.json$/, '.txt');
  if (!existsSync(txt)) return undefined;
  const text = readFileSync(txt, 'utf8');
  const match = /Plan: (?:\d+ to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy/.exec(text);
  if (match) return { add: Number(match[1]), change: Number(match[2]), destroy: Number(match[3]) };
  if (text.includes('No changes.')) return { add: 0, change: 0, destroy: 0 };
  return undefined;
}

function sensitiveStrings(plan: RawPlan): Set<string> {
  const secrets = new Set<string>();
  const walk = (changes: RawResourceChange[] | undefined): void => {
    for (const rc of changes ?? []) {
      collectMaskedStrings(rc.change.before, rc.change.before_sensitive, 4, secrets);
      collectMaskedStrings(rc.change.after, rc.change.after_sensitive, 4, secrets);
    }
  };
  walk(plan.resource_changes);
  walk(plan.resource_drift);
  for (const change of Object.values(plan.output_changes ?? {})) {
    collectMaskedStrings(change.before, change.before_sensitive, 4, secrets);
    collectMaskedStrings(change.after, change.after_sensitive, 4, secrets);
  }
  return secrets;
}

const files = listFixturePlans();

describe.skipIf(files.length === 0)('every real plan in ../shared/fixtures/plans', () => {
  it.each(files.map((f) => [path.relative(PLANS, f), f]))('%s parses, analyses, matches Terraform and leaks nothing', (_name, file) => {
    const plan = parsePlanJson(readFileSync(file), file);
    const analysis = analyzePlan(plan);
    const expected = expectedCounts(file);
    if (expected) {
      expect({ add: analysis.summary.add, change: analysis.summary.change, destroy: analysis.summary.destroy }).toEqual(expected);
    }
    const texts = [
      JSON.stringify(toAnalysisJson(analysis)),
      ...analysis.changes.flatMap((c) => [c.header, c.diff, ...c.reasons]),
      ...analysis.drift.flatMap((c) => [c.header, c.diff]),
      ...analysis.outputs.map((o) => o.diff),
      ...analysis.notes,
    ].join('\n');
    for (const secret of sensitiveStrings(plan)) expect(texts).not.toContain(secret);
  });

  it('found the .txt twins it compares against', () => {
    expect(files.filter((f) => expectedCounts(f) !== undefined).length).toBeGreaterThan(40);
  });
});
