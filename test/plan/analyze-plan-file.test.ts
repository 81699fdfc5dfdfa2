import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePlan } from '../../bench/generate-plan.js';
import { analyzePlanBytes, analyzePlanFile, streamPlanBytes, streamPlanFile } from '../../src/plan/analyze-plan-file.js';
import { analyzePlan } from '../../src/plan/analyze-plan.js';
import { parsePlanJson, PlanInputError } from '../../src/plan/plan-model.js';
import { PlanStreamStop } from '../../src/plan/scan-plan-json.js';
import { analysisSnapshot as snapshot } from './analysis-snapshot.js';
import { plan, resourceChange } from './plan-builders.js';

const work = mkdtempSync(path.join(tmpdir(), 'infra-review-stream-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let fileCount = 0;
function writePlanFile(content: string | Buffer): string {
  const file = path.join(work, `plan-${++fileCount}.json`);
  writeFileSync(file, content);
  return file;
}

function inMemory(content: string | Buffer): unknown {
  return snapshot(analyzePlan(parsePlanJson(content)));
}

/** A plan whose strings hold brackets, quotes, escapes and multi-byte characters, in every section. */
function trickyPlan(): string {
  const awkward = 'a "quoted" {brace} [bracket] \\ back\\slash \\" \u00e9\u00e8 \u6f22\u5b57 \ud83d\ude80 end';
  const plan = {
    format_version: '1.2',
    terraform_version: '1.9.0',
    variables: { region: { value: awkward } },
    planned_values: { root_module: { resources: [{ address: 'x', values: { v: [1, -2.5e3, 0, true, false, null, awkward] } }] } },
    resource_drift: [
      resourceChange('aws_s3_bucket.drifted', ['update'], { before: { acl: 'private', tags: { note: awkward } }, after: { acl: 'public-read', tags: { note: awkward } } }),
    ],
    resource_changes: [
      resourceChange('aws_instance.web', ['create'], { after: { name: awkward, list: [awkward, '}', ']', '{"x":[1]}'] } }),
      resourceChange('aws_db_instance.main["k\\"ey ]"]', ['delete'], { before: { identifier: '\\', password: 'p]w"d' } }),
      resourceChange('aws_iam_role.r', ['update'], { before: { policy: '{"Version":"2012-10-17"}' }, after: { policy: '{"Version":"2012-10-17","Statement":[]}' } }),
    ],
    output_changes: { endpoint: { actions: ['create'], before: null, after: awkward, after_unknown: false, before_sensitive: false, after_sensitive: false } },
    prior_state: { values: { root_module: { resources: [{ values: { text: awkward, n: 12.5e-3 } }] } } },
    configuration: { root_module: { resources: [{ expressions: { ami: { constant_value: awkward } } }] } },
    relevant_attributes: [{ resource: 'aws_s3_bucket.drifted', attribute: ['acl'] }],
    checks: [{ address: { to_display: 'check.health' }, status: 'fail', instances: [{ problems: [{ message: awkward }] }] }],
    errored: false,
  };
  // Pretty-printed: whitespace everywhere the grammar allows it.
  return JSON.stringify(plan, null, 2);
}

describe('streaming plan reader', () => {
  it('finds every entry and value whatever the chunk size, strings with brackets, quotes, escapes and multi-byte characters included', () => {
    const text = trickyPlan();
    const file = writePlanFile(text);
    const expected = inMemory(text);
    for (const chunkSize of [1, 2, 3, 5, 7, 13, 64, 1000]) {
      expect(snapshot(streamPlanFile(file, { chunkSize })), `chunk size ${chunkSize}`).toEqual(expected);
    }
  });

  it('streams a compact (one-line) plan and a generated 300-change plan identically to the in-memory analysis', () => {
    for (const text of [JSON.stringify(JSON.parse(trickyPlan())), JSON.stringify(generatePlan(300))]) {
      const file = writePlanFile(text);
      const expected = inMemory(text);
      expect(snapshot(streamPlanFile(file, { chunkSize: 11 }))).toEqual(expected);
      expect(snapshot(streamPlanFile(file))).toEqual(expected);
      expect(snapshot(streamPlanBytes(Buffer.from(text), file))).toEqual(expected);
    }
  });

  it('cuts a multi-byte character between two chunks without damaging it', () => {
    const name = '\u6f22\u5b57-\ud83d\ude80';
    const text = JSON.stringify(plan([resourceChange('aws_instance.a', ['create'], { after: { name } })]));
    const at = Buffer.from(text).indexOf(Buffer.from('\u6f22'));
    const file = writePlanFile(text);
    // Chunks that end one and two bytes into the three-byte character.
    for (const chunkSize of [at + 1, at + 2, at + 5]) {
      const analysis = streamPlanFile(file, { chunkSize });
      expect(analysis.changes[0]?.diff).toContain(name);
    }
  });

  it('reads a UTF-8 BOM, and UTF-16 LE and BE with BOMs, like the full parser', () => {
    const text = trickyPlan();
    const expected = inMemory(text);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le);
    be.subarray(2).swap16();
    be[0] = 0xfe;
    be[1] = 0xff;
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    expect(snapshot(streamPlanFile(writePlanFile(bom), { chunkSize: 4 }))).toEqual(expected);
    for (const bytes of [le, be, bom]) {
      expect(snapshot(streamPlanBytes(bytes, 'plan.json'))).toEqual(expected);
      expect(snapshot(analyzePlanFile(writePlanFile(bytes)))).toEqual(expected);
    }
  });

  it('gives up on invalid input instead of guessing, and analyzePlanFile then reports it as the full parser does', () => {
    const valid = '{"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":["create"]}}],"prior_state":{"values":[1,2]}}';
    const invalid = [
      ['truncated inside an entry', valid.slice(0, 60)],
      ['truncated inside a skipped section', valid.slice(0, valid.length - 4)],
      ['truncated after the top-level value started', '{"format_version":"1.2",'],
      ['garbage after the top-level value', `${valid} xx`],
      ['a second top-level value', `${valid}{}`],
      ['a trailing comma in a skipped section', valid.replace('[1,2]', '[1,2,]')],
      ['a bad number in a skipped section', valid.replace('[1,2]', '[01,2]')],
      ['a bare word in a skipped section', valid.replace('[1,2]', '[1,nul]')],
      ['a raw newline inside a string of a skipped section', valid.replace('"values"', '"val\nues"')],
      ['a bad escape in a skipped section', valid.replace('"values"', '"val\\qes"')],
      ['a bad \\u escape in a top-level key', valid.replace('"prior_state"', '"prior\\u00zzstate"')],
      ['a missing colon between entries', valid.replace('"change":', '"change"')],
      ['a missing comma between top-level members', valid.replace(',"prior_state"', ' "prior_state"')],
      ['a trailing comma inside an entry', valid.replace('["create"]', '["create",]')],
      ['a closing brace where a bracket belongs', valid.replace('}}],', '}}},')],
    ] as const;
    for (const [what, text] of invalid) {
      const file = writePlanFile(text);
      expect(() => streamPlanFile(file, { chunkSize: 3 }), what).toThrow();
      expect(() => JSON.parse(text), what).toThrow(SyntaxError);
      let fullError: unknown;
      try {
        parsePlanJson(Buffer.from(text), file);
      } catch (error) {
        fullError = error;
      }
      expect(fullError, what).toBeInstanceOf(PlanInputError);
      expect(() => analyzePlanFile(file), what).toThrow((fullError as Error).message);
    }
  });

  it('locates invalid JSON at its line and column and says when the file is cut off', () => {
    const broken = writePlanFile('{\n  "format_version": "1.2",\n  "resource_changes": [\n    {"address": "a", "change": {"actions": ["create"], "after": {"x": 1,}}}\n  ]\n}\n');
    let error: unknown;
    try {
      analyzePlanFile(broken);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PlanInputError);
    expect((error as PlanInputError).line).toBe(4);
    expect((error as PlanInputError).column).toBe(73);
    expect(String(error)).toBe(`${broken}:4:73: not valid JSON at line 4, column 73: expected a property name in double quotes but found '}'`);

    const cut = writePlanFile(trickyPlan().slice(0, 700));
    expect(() => analyzePlanFile(cut)).toThrow(/the file ends before the JSON is complete \(truncated\?\) at line \d+, column \d+/);
    expect(() => analyzePlanFile(writePlanFile(''))).toThrow(/the file is empty/);
    expect(() => analyzePlanFile(writePlanFile(`${JSON.stringify(plan([]))}\n}`))).toThrow(/unexpected content after the end of the JSON value/);
  });

  it('reports JSON that is not a plan exactly as the full parser does', () => {
    const cases = [
      '[1, 2]',
      '"plan"',
      '{"format_version": "1.0", "values": {}}',
      '{"resource_changes": []}',
      '{"format_version": "1.2", "resource_changes": {}}',
      '{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": "create"}}]}',
      '{"format_version": "1.2", "resource_changes": [{"change": {"actions": ["create"]}}]}',
      '{"format_version": "1.2", "resource_drift": [7]}',
      '{"format_version": "1.2", "output_changes": {"x": {}}}',
    ];
    for (const text of cases) {
      const file = writePlanFile(text);
      expect(() => streamPlanFile(file), text).toThrow();
      expect(() => analyzePlanFile(file), text).toThrow(PlanInputError);
      let expected = '';
      try {
        parsePlanJson(Buffer.from(text), file);
      } catch (error) {
        expected = String(error);
      }
      try {
        analyzePlanFile(file);
      } catch (error) {
        expect(String(error), text).toBe(expected);
      }
    }
  });

  it('leaves repeated or numeric top-level keys to the full parser, which gives the in-memory result', () => {
    const repeated = '{"format_version":"1.2","resource_changes":[{"address":"a.x","change":{"actions":["delete"]}}],"resource_changes":[{"address":"a.y","change":{"actions":["create"]}}]}';
    const numeric = '{"format_version":"1.2","resource_changes":[],"zz":1,"7":2}';
    for (const text of [repeated, numeric]) {
      const file = writePlanFile(text);
      expect(() => streamPlanFile(file)).toThrow(PlanStreamStop);
      expect(snapshot(analyzePlanFile(file))).toEqual(inMemory(text));
    }
    expect(analyzePlanFile(writePlanFile(repeated)).changes.map((c) => c.address)).toEqual(['a.y']);
  });

  it('streams bytes already in memory (a pipe) with the same result and the same errors', () => {
    const text = trickyPlan();
    expect(snapshot(analyzePlanBytes(Buffer.from(text), 'stdin'))).toEqual(inMemory(text));
    expect(() => analyzePlanBytes(Buffer.from(text.slice(0, 200)), 'stdin')).toThrow(/^the file ends before the JSON is complete/);
  });

  it('refuses to render a change from a plan file rewritten after it was analysed', () => {
    const file = writePlanFile(JSON.stringify(generatePlan(20)));
    const analysis = analyzePlanFile(file);
    writeFileSync(file, JSON.stringify(generatePlan(21)));
    expect(() => analysis.changes[3]?.diff).toThrow(/the file changed while infra-review was reading it/);
  });

  it('agrees with JSON.parse on which texts are valid, for thousands of damaged plans', () => {
    const base = JSON.stringify(JSON.parse(trickyPlan()));
    const bytes = Buffer.from(base);
    // A deterministic generator, so a failure is reproducible.
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = Buffer.from('{}[]:,"\\ 0123456789-+.eEtrufalsn\u0001x');
    let accepted = 0;
    for (let round = 0; round < 3000; round++) {
      const damaged = Buffer.from(bytes);
      const at = next(damaged.length);
      const kind = next(3);
      let text: Buffer;
      if (kind === 0) {
        damaged[at] = alphabet[next(alphabet.length)] as number;
        text = damaged;
      } else if (kind === 1) {
        text = Buffer.concat([damaged.subarray(0, at), damaged.subarray(at + 1)]);
      } else {
        text = Buffer.concat([damaged.subarray(0, at), Buffer.from([alphabet[next(alphabet.length)] as number]), damaged.subarray(at)]);
      }
      let fullOk = true;
      let full: unknown;
      try {
        full = snapshot(analyzePlan(parsePlanJson(text)));
      } catch {
        fullOk = false;
      }
      let streamOk = true;
      let streamed: unknown;
      try {
        streamed = snapshot(streamPlanBytes(text, 'plan.json'));
      } catch (error) {
        streamOk = false;
        // Streaming may decline valid but unusual input (a repeated key); never invalid input.
        if (fullOk) expect(error, text.toString()).toBeInstanceOf(PlanStreamStop);
      }
      if (streamOk) {
        expect(fullOk, `streamed but invalid: ${text.toString()}`).toBe(true);
        expect(streamed).toEqual(full);
        accepted++;
      }
    }
    // Some damage leaves a valid plan (a changed digit, a changed letter in a string).
    expect(accepted).toBeGreaterThan(100);
  });
});
