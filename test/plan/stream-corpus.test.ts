import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePlan } from '../../bench/generate-plan.js';
import { analysisJsonPieces, changeJsonText, toAnalysisJson } from '../../src/plan/analysis-json.js';
import { streamPlanFile } from '../../src/plan/analyze-plan-file.js';
import { analyzePlan } from '../../src/plan/analyze-plan.js';
import { FIXTURE_PLANS_DIR, listFixturePlans } from './fixture-plans.js';
import { catalogueTypeMatcher } from '../../src/plan/evaluate-risk.js';
import { parsePlanJson } from '../../src/plan/plan-model.js';
import { ACCESS_CONTROL_TYPES, DISPOSABLE_TYPES, FIREWALL_TYPES, STATEFUL_CATEGORIES } from '../../src/plan/risk-catalog.js';
import { analysisSnapshot } from './analysis-snapshot.js';

const PLANS = FIXTURE_PLANS_DIR;


const corpus = listFixturePlans();
const work = mkdtempSync(path.join(tmpdir(), 'infra-review-stream-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function expectSameAnalysis(file: string): void {
  const inMemory = analyzePlan(parsePlanJson(readFileSync(file), file));
  // The streaming path itself (no fallback), with a small chunk size so entries straddle chunks.
  const streamed = streamPlanFile(file, { chunkSize: 97 });
  expect(analysisSnapshot(streamed)).toEqual(analysisSnapshot(inMemory));
  // The JSON output written in pieces is the text of JSON.stringify, to the byte.
  const expected = `${JSON.stringify(toAnalysisJson(inMemory), null, 2)}\n`;
  expect([...analysisJsonPieces(streamed, 100)].join('')).toBe(expected);
  // Likewise when each change is kept as its JSON text only (render --format json): its reasons are
  // those found during the analysis, where a record's are evaluated again when read.
  const asText = streamPlanFile(file, { chunkSize: 97, keepChange: changeJsonText });
  expect(asText.changes.every((change) => typeof change === 'string')).toBe(true);
  expect([...analysisJsonPieces(asText, 100)].join('')).toBe(expected);
  expect([...analysisJsonPieces(analyzePlan(parsePlanJson(readFileSync(file), file), { keepChange: changeJsonText }))].join('')).toBe(expected);
}

describe.skipIf(corpus.length === 0)('streamed analysis of every real plan in ../shared/fixtures/plans', () => {
  it.each(corpus.map((f) => [path.relative(PLANS, f), f]))('%s: same analysis, headers and diffs as in memory', (_name, file) => {
    expectSameAnalysis(file);
  });
});

describe('streamed analysis of a generated plan', () => {
  it('matches the in-memory analysis for 2,000 changes of every kind', () => {
    const file = path.join(work, 'generated.json');
    writeFileSync(file, JSON.stringify(generatePlan(2000)));
    expectSameAnalysis(file);
  });
});

describe('catalogue type matchers', () => {
  it('answer exactly as picomatch does for every catalogue list', () => {
    const lists = [...STATEFUL_CATEGORIES.map((c) => c.types), DISPOSABLE_TYPES.types, ACCESS_CONTROL_TYPES.types, FIREWALL_TYPES.types];
    const all = lists.flat();
    const probes = new Set<string>(['', 'aws', 'aws_', '_', '.aws_db_instance', 'aws_db_instance/', 'AWS_DB_INSTANCE', 'aws_db_instance_x', 'google_sql_x', 'azurerm_']);
    for (const type of all) {
      probes.add(type);
      probes.add(type.replace(/\*/g, 'x'));
      probes.add(type.replace(/\*/g, ''));
      probes.add(`${type}_extra`);
      probes.add(`x${type}`);
      probes.add(type.toUpperCase());
    }
    let globs = 0;
    for (const list of lists) {
      globs += list.filter((type) => /[^A-Za-z0-9_-]/.test(type)).length;
      const mine = catalogueTypeMatcher(list);
      const theirs = picomatch(list);
      for (const probe of probes) expect(mine(probe), `${probe} against ${list.join(',')}`).toBe(theirs(probe));
    }
    // The lists do hold globs, so both branches were compared.
    expect(globs).toBeGreaterThan(0);
  });
});
