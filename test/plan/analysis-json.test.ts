import { describe, expect, it } from 'vitest';
import { analysisJsonPieces, changeJsonText, toAnalysisJson } from '../../src/plan/analysis-json.js';
import { analyzePlan } from '../../src/plan/analyze-plan.js';
import { plan, resourceChange } from './plan-builders.js';

const obj = { id: 'x' };

/** A plan whose changes use every optional field of an entry of `changes`, and text that needs escaping. */
const everyField = plan([
  resourceChange('aws_instance.moved', ['no-op'], { before: obj, after: obj }, { previous_address: 'aws_instance.old' }),
  resourceChange('aws_instance.imported', ['no-op'], { before: obj, after: obj, importing: { id: 'i-1' } }),
  resourceChange('aws_instance.web', ['delete'], { before: obj }, { deposed: '00000001' }),
  resourceChange('aws_instance.replaced', ['delete', 'create'], { before: obj, after: { id: 'y' }, replace_paths: [['id']] }, { action_reason: 'replace_because_cannot_update' }),
  resourceChange('aws_s3_bucket.b["quote\\" \\\\ \\u2028 ünï"]', ['create'], { after: obj }),
]);

describe('changes kept as JSON text (render --format json)', () => {
  it('give the same output, to the byte, as the changes themselves', () => {
    const records = analyzePlan(everyField);
    const json = toAnalysisJson(records);
    // The plan does use every optional field.
    for (const key of ['previous_address', 'importing', 'deposed', 'action_reason']) expect(json.changes.some((c) => key in c)).toBe(true);
    const texts = analyzePlan(everyField, { keepChange: changeJsonText });
    expect(texts.changes).toHaveLength(records.changes.length);
    expect([...analysisJsonPieces(texts, 64)].join('')).toBe(`${JSON.stringify(json, null, 2)}\n`);
    // More changes than one formatting batch, kept either way.
    const many = plan(Array.from({ length: 150 }, (_, i) => resourceChange(`aws_instance.n${i}`, i % 2 ? ['create'] : ['delete'], { before: obj, after: obj })));
    const expected = `${JSON.stringify(toAnalysisJson(analyzePlan(many)), null, 2)}\n`;
    expect([...analysisJsonPieces(analyzePlan(many, { keepChange: changeJsonText }), 1000)].join('')).toBe(expected);
    expect([...analysisJsonPieces(analyzePlan(many), 1000)].join('')).toBe(expected);
  });

  it('are the compact JSON of each entry of `changes`', () => {
    const json = toAnalysisJson(analyzePlan(everyField));
    const texts = analyzePlan(everyField, { keepChange: changeJsonText }).changes;
    expect(texts).toEqual(json.changes.map((entry) => JSON.stringify(entry)));
    expect(JSON.parse(texts[2] as string)).toEqual({ address: 'aws_instance.web', actions: ['delete'], risk: 'high', reasons: [expect.any(String)], action: 'delete', deposed: '00000001' });
  });
});
