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
  });

  it('hold the values only, in the order of the output, absent optional keys left out', () => {
    const [moved, , deposed] = analyzePlan(everyField, { keepChange: changeJsonText }).changes;
    expect(JSON.parse(moved as string)).toEqual(['aws_instance.moved', ['no-op'], 'low', [expect.stringContaining('moves aws_instance.old')], 'no-op', 'aws_instance.old']);
    expect(JSON.parse(deposed as string)).toEqual(['aws_instance.web', ['delete'], 'high', [expect.any(String)], 'delete', null, null, '00000001']);
  });
});
