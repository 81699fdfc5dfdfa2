import { describe, expect, it } from 'vitest';
import { analyzePlan } from '../../src/plan/analyze-plan.js';
import { toAnalysisJson } from '../../src/plan/analysis-json.js';
import type { RawChange } from '../../src/plan/plan-model.js';
import { plan, resourceChange } from './plan-builders.js';

function diffOf(address: string, actions: string[], change: Partial<RawChange>, extra = {}): string {
  const analysis = analyzePlan(plan([resourceChange(address, actions, change, extra)]));
  const found = analysis.changes[0];
  if (!found) throw new Error('no change');
  return found.diff;
}

describe('attribute diff in Terraform wording', () => {
  it('shows a create with every non-null attribute and unknowns as (known after apply)', () => {
    const diff = diffOf('aws_instance.web', ['create'], {
      after: { ami: 'ami-123', count: 2, enabled: true, gone: null, id: null },
      after_unknown: { id: true },
    });
    expect(diff).toBe(
      [
        '+   resource "aws_instance" "web" {',
        '+       ami     = "ami-123"',
        '+       count   = 2',
        '+       enabled = true',
        '+       id      = (known after apply)',
        '    }',
      ].join('\n'),
    );
  });

  it('shows an update with the identifying attributes, the change, and a count of hidden ones', () => {
    const before = { id: 'i-1', name: 'web', ami: 'ami-1', size: 't3.micro', zone: 'a' };
    const diff = diffOf('aws_instance.web', ['update'], { before, after: { ...before, ami: 'ami-2', zone: null }, after_unknown: {} });
    expect(diff).toBe(
      [
        '~   resource "aws_instance" "web" {',
        '~       ami  = "ami-1" -> "ami-2"',
        '        id   = "i-1"',
        '        name = "web"',
        '-       zone = "a" -> null',
        '        # (1 unchanged attribute hidden)',
        '    }',
      ].join('\n'),
    );
  });

  it('shows a delete with every attribute going to null', () => {
    const diff = diffOf('aws_instance.web', ['delete'], { before: { id: 'i-1', tags: { Name: 'web' } } });
    expect(diff).toBe(
      ['-   resource "aws_instance" "web" {', '-       id   = "i-1" -> null', '-       tags = {', '-           "Name" = "web" -> null', '        } -> null', '    }'].join('\n'),
    );
  });

  it('marks the attribute that forces a replacement, for both replacement orders', () => {
    const before = { id: 'i-1', ami: 'ami-1', subnet: 's-1' };
    const change = { before, after: { ...before, id: null, ami: 'ami-2' }, after_unknown: { id: true }, replace_paths: [['ami']] };
    const destroyFirst = diffOf('aws_instance.web', ['delete', 'create'], change);
    expect(destroyFirst.split('\n')[0]).toBe('-/+ resource "aws_instance" "web" {');
    // "=" aligned over every attribute with a value, the hidden "subnet" included, as Terraform does
    expect(destroyFirst).toContain('~       ami    = "ami-1" -> "ami-2" # forces replacement');
    expect(destroyFirst).toContain('~       id     = "i-1" -> (known after apply)');
    expect(destroyFirst).toContain('# (1 unchanged attribute hidden)');
    const createFirst = diffOf('aws_instance.web', ['create', 'delete'], change);
    expect(createFirst.split('\n')[0]).toBe('+/- resource "aws_instance" "web" {');
  });

  it('marks a nested path that forces replacement', () => {
    const before = { id: 'x', disk: { size: 10, type: 'ssd' } };
    const diff = diffOf('t.a', ['delete', 'create'], { before, after: { ...before, disk: { size: 20, type: 'ssd' } }, replace_paths: [['disk', 'size']] });
    expect(diff).toContain('~           size = 10 -> 20 # forces replacement');
    expect(diff).toContain('# (1 unchanged attribute hidden)');
  });

  it('diffs nested objects, lists of primitives and lists of objects', () => {
    const before = {
      id: 'x',
      obj: { a: 1, b: 'keep', c: { deep: true } },
      list: ['one', 'two', 'three', 'four', 'five'],
      blocks: [{ port: 80 }, { port: 443 }],
    };
    const after = {
      id: 'x',
      obj: { a: 2, b: 'keep', c: { deep: false } },
      list: ['one', 'two', 'THREE', 'four', 'five', 'six'],
      blocks: [{ port: 80 }, { port: 8443 }, { port: 22 }],
    };
    const diff = diffOf('t.a', ['update'], { before, after });
    expect(diff).toBe(
      [
        '~   resource "t" "a" {',
        '~       blocks = [',
        '            # (1 unchanged element hidden)',
        '~           {',
        '~               port = 443 -> 8443',
        '            },',
        '+           {',
        '+               port = 22',
        '            },',
        '        ]',
        '        id     = "x"',
        '~       list   = [',
        '            # (1 unchanged element hidden)',
        '            "two",',
        '~           "three" -> "THREE",',
        '            "four",',
        '            "five",',
        '+           "six",',
        '        ]',
        '~       obj    = {',
        '~           a = 1 -> 2',
        '~           c = {',
        '~               deep = true -> false',
        '            }',
        '            # (1 unchanged attribute hidden)',
        '        }',
        '    }',
      ].join('\n'),
    );
  });

  it('renders multi-line strings as heredocs with line changes', () => {
    const diff = diffOf('t.a', ['update'], { before: { id: 'x', script: 'one\ntwo\nthree\n' }, after: { id: 'x', script: 'one\n2\nthree\n' } });
    expect(diff).toContain(['~       script = <<-EOT', '            one', '-           two', '+           2', '            three', '        EOT'].join('\n'));
  });

  it('shows a type change as the old value going and the new one coming', () => {
    const diff = diffOf('t.a', ['update'], { before: { id: 'x', v: 'text' }, after: { id: 'x', v: ['a'] } });
    expect(diff).toContain('-       v  = "text" -> null\n+       v  = [\n+           "a",\n        ]');
  });

  it('diffs JSON held in a string (an IAM policy) inside jsonencode(...)', () => {
    const policy = (actions: string[]) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
    const diff = diffOf('aws_iam_policy.p', ['update'], { before: { id: 'p', policy: policy(['s3:GetObject']) }, after: { id: 'p', policy: policy(['s3:GetObject', 's3:PutObject']) } });
    expect(diff).toContain(
      [
        '~       policy = jsonencode(',
        '~           {',
        '~               Statement = [',
        '~                   {',
        '~                       Action   = [',
        '                            "s3:GetObject",',
        '+                           "s3:PutObject",',
        '                        ]',
        '                        # (2 unchanged attributes hidden)',
        '                    },',
        '                ]',
        '                # (1 unchanged attribute hidden)',
        '            }',
        '        )',
      ].join('\n'),
    );
    const reformatted = diffOf('aws_iam_policy.p', ['update'], { before: { id: 'p', policy: '{"a": 1}' }, after: { id: 'p', policy: '{"a":1}' } });
    expect(reformatted).toContain('~       policy = jsonencode(\n            # (whitespace changes)\n        )');
    const removed = diffOf('aws_iam_policy.p', ['delete'], { before: { id: 'p', policy: '{"a":1}' } });
    expect(removed).toContain('-       policy = jsonencode(\n-           {\n-               a = 1\n            }\n        ) -> null');
  });

  it('marks a create-then-forget with Terraform\'s +/. symbol', () => {
    expect(diffOf('t.a', ['create', 'forget'], { before: { id: 'x' }, after: { id: 'y' } }).split('\n')[0]).toBe('+/. resource "t" "a" {');
  });

  it('shows every attribute of an imported resource', () => {
    const obj = { id: 'i-1', a: 1, b: 2 };
    const diff = diffOf('t.a', ['no-op'], { before: obj, after: obj, importing: { id: 'i-1' } });
    expect(diff).toContain('        a  = 1');
    expect(diff).toContain('        b  = 2');
    expect(diff).not.toContain('hidden');
  });

  it('keeps the action marker in column 0 on every line', () => {
    const before = { id: 'x', list: [{ a: [1, 2, { b: 'c' }] }], m: { 'key with space': 'v' } };
    const after = { id: 'x', list: [{ a: [1, 3, { b: 'd' }] }], m: { 'key with space': 'w', extra: 'multi\nline' } };
    const diff = diffOf('t.a', ['delete', 'create'], { before, after });
    for (const line of diff.split('\n')) {
      // a marker in the first 3 columns then a space, or 4 spaces: never indentation before a marker
      expect(line).toMatch(/^(\+|-|~|-\/\+|\+\/-|<=| ) {0,3}(?! *[+~]\s)/);
      expect(line).not.toMatch(/^\s+[+~-] /);
    }
    expect(diff).toContain('"key with space" = "v" -> "w"');
  });
});

describe('sensitive values never appear', () => {
  const SECRET = 'hunter2-very-secret';
  const OTHER = 'correct-horse-battery';

  function everything(analysis: ReturnType<typeof analyzePlan>): string {
    return [
      JSON.stringify(toAnalysisJson(analysis)),
      JSON.stringify(analysis),
      ...analysis.changes.flatMap((c) => [c.header, c.diff, ...c.reasons]),
      ...analysis.drift.map((c) => c.diff),
      ...analysis.outputs.map((o) => o.diff),
      ...analysis.risk.reasons,
      ...analysis.notes,
    ].join('\n');
  }

  it('masks a sensitive attribute on create, update and delete', () => {
    const analysis = analyzePlan(
      plan([
        resourceChange('t.create', ['create'], { after: { id: 'x', password: SECRET }, after_sensitive: { password: true } }),
        resourceChange('t.update', ['update'], {
          before: { id: 'x', password: OTHER },
          after: { id: 'x', password: SECRET },
          before_sensitive: { password: true },
          after_sensitive: { password: true },
        }),
        resourceChange('t.delete', ['delete'], { before: { id: 'x', password: SECRET }, before_sensitive: { password: true } }),
      ]),
    );
    const [create, update, del] = analysis.changes;
    expect(create!.diff).toContain('+       password = (sensitive value)');
    expect(update!.diff).toContain('~       password = (sensitive value)');
    expect(del!.diff).toContain('-       password = (sensitive value) -> null');
    const text = everything(analysis);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(OTHER);
  });

  it('masks nested sensitive values in objects and lists, leaving their neighbours visible', () => {
    const analysis = analyzePlan(
      plan([
        resourceChange('t.nested', ['update'], {
          before: { id: 'x', conn: { user: 'admin', pass: OTHER }, keys: ['public-a', OTHER] },
          after: { id: 'x', conn: { user: 'root', pass: SECRET }, keys: ['public-b', SECRET] },
          before_sensitive: { conn: { pass: true }, keys: [false, true] },
          after_sensitive: { conn: { pass: true }, keys: [false, true] },
        }),
      ]),
    );
    const diff = analysis.changes[0]!.diff;
    expect(diff).toContain('~           pass = (sensitive value)');
    expect(diff).toContain('~           user = "admin" -> "root"');
    expect(diff).toContain('"public-a" -> "public-b"');
    expect(diff).toContain('(sensitive value),');
    expect(everything(analysis)).not.toContain(SECRET);
    expect(everything(analysis)).not.toContain(OTHER);
  });

  it('hides values that become or stop being sensitive, and says so', () => {
    const analysis = analyzePlan(
      plan([
        resourceChange('t.becomes', ['update'], { before: { id: 'x', token: OTHER }, after: { id: 'x', token: OTHER }, before_sensitive: {}, after_sensitive: { token: true } }),
        resourceChange('t.stops', ['update'], { before: { id: 'x', token: SECRET }, after: { id: 'x', token: SECRET }, before_sensitive: { token: true }, after_sensitive: {} }),
      ]),
    );
    const [becomes, stops] = analysis.changes;
    expect(becomes!.diff).toContain('~       token = (sensitive value)');
    expect(becomes!.diff).toContain('will be marked as sensitive');
    expect(stops!.diff).toContain('~       token = (sensitive value)');
    expect(stops!.diff).toContain('no longer be marked as sensitive');
    expect(everything(analysis)).not.toContain(SECRET);
    expect(everything(analysis)).not.toContain(OTHER);
  });

  it('masks a whole sensitive object and sensitive outputs', () => {
    const analysis = analyzePlan(
      plan([resourceChange('t.all', ['create'], { after: { id: 'x', secret: SECRET }, after_sensitive: true })], {
        output_changes: {
          db_password: { actions: ['create'], before: null, after: SECRET, after_unknown: false, before_sensitive: false, after_sensitive: true },
          nested: { actions: ['update'], before: { a: OTHER, b: 'ok-before' }, after: { a: SECRET, b: 'ok-after' }, before_sensitive: { a: true }, after_sensitive: { a: true } },
          endpoint: { actions: ['create'], before: null, after: null, after_unknown: true },
        },
      }),
    );
    expect(analysis.changes[0]!.diff).toContain('(sensitive value)');
    const outputs = Object.fromEntries(analysis.outputs.map((o) => [o.name, o]));
    expect(outputs.db_password).toMatchObject({ sensitive: true });
    expect(outputs.db_password!.diff).toBe('+   db_password = (sensitive value)');
    expect(outputs.nested!.diff).toContain('"ok-before" -> "ok-after"');
    expect(outputs.endpoint!.diff).toBe('+   endpoint = (known after apply)');
    const text = everything(analysis);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(OTHER);
  });

  it('does not leak sensitive values through risk reasons of attribute rules', () => {
    const analysis = analyzePlan(
      plan([
        resourceChange('aws_db_instance.main', ['update'], {
          before: { id: 'db', publicly_accessible: false, master_password: OTHER },
          after: { id: 'db', publicly_accessible: true, master_password: SECRET },
          before_sensitive: { master_password: true, publicly_accessible: true },
          after_sensitive: { master_password: true, publicly_accessible: true },
        }),
      ]),
      { risk: { rules: [{ type: 'aws_db_instance', attribute: { path: 'master_password', matches: '.*' }, level: 'critical', reason: 'password rotation needs the DBA' }] } },
    );
    const change = analysis.changes[0]!;
    expect(change.risk).toBe('critical');
    expect(change.reasons.join('\n')).toContain('publicly_accessible (sensitive value)');
    expect(everything(analysis)).not.toContain(SECRET);
    expect(everything(analysis)).not.toContain(OTHER);
  });
});
