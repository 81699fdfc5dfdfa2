import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzePlan } from '../../src/plan/analyze-plan.js';
import { toAnalysisJson } from '../../src/plan/analysis-json.js';
import { parsePlanJson } from '../../src/plan/plan-model.js';
import { formatSummaryLine } from '../../src/plan/summarize-plan.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/plans/every-action.json');

describe('test/fixtures/plans/every-action.json (hand-written)', () => {
  const analysis = analyzePlan(parsePlanJson(readFileSync(FIXTURE), FIXTURE));

  it('summarises as Terraform would', () => {
    expect(formatSummaryLine(analysis.summary)).toBe('Plan: 1 to import, 2 to add, 1 to change, 2 to destroy, 1 to forget.');
    expect(analysis.summary).toMatchObject({ replace: 1, move: 1, read: 1, no_op: 2 });
  });

  it('rates the database replacement critical and says why', () => {
    const json = toAnalysisJson(analysis);
    expect(json.risk.level).toBe('critical');
    expect(json.changes.find((c) => c.address === 'aws_db_instance.main')?.reasons[0]).toBe(
      'replaces (destroys, then creates) aws_db_instance.main (forced by a change to engine): a database; data is lost unless a snapshot or backup exists',
    );
  });

  it('never shows the database password, in the resource or the output', () => {
    const text = [JSON.stringify(toAnalysisJson(analysis)), ...analysis.changes.map((c) => `${c.header}\n${c.diff}`), ...analysis.outputs.map((o) => o.diff)].join('\n');
    expect(text).not.toContain('db-password');
    expect(text).toContain('~       engine   = "postgres" -> "mysql" # forces replacement');
    expect(text).toContain('~   db_password = (sensitive value)');
  });
});
