import { describe, expect, it } from 'vitest';
import { analyzePlan } from '../../src/plan/analyze-plan.js';
import { changeJsonText, toAnalysisJson } from '../../src/plan/analysis-json.js';
import { riskConfigSchema } from '../../src/plan/risk-config.js';
import { formatSummaryLine } from '../../src/plan/summarize-plan.js';
import { plan, resourceChange } from './plan-builders.js';

const obj = { id: 'i-1', size: 1 };

describe('analyzePlan summary', () => {
  it('counts every action the way Terraform does', () => {
    const analysis = analyzePlan(
      plan([
        resourceChange('t.create', ['create'], { after: obj }),
        resourceChange('t.update', ['update'], { before: obj, after: { ...obj, size: 2 } }),
        resourceChange('t.delete', ['delete'], { before: obj }),
        resourceChange('t.replace', ['delete', 'create'], { before: obj, after: obj }),
        resourceChange('t.replace_cbd', ['create', 'delete'], { before: obj, after: obj }),
        resourceChange('t.forget', ['forget'], { before: obj }),
        resourceChange('t.create_forget', ['create', 'forget'], { before: obj, after: obj }),
        resourceChange('t.noop', ['no-op'], { before: obj, after: obj }),
        resourceChange('data.d.read', ['read'], { after: {} }),
        resourceChange('data.d.noop', ['no-op'], { before: {}, after: {} }),
        resourceChange('data.d.gone', ['delete'], { before: {} }),
        resourceChange('t.deposed', ['delete'], { before: obj }, { deposed: 'abcd1234' }),
        resourceChange('t.imported', ['no-op'], { before: obj, after: obj, importing: { id: 'i-9' } }),
        resourceChange('t.imported_update', ['update'], { before: obj, after: { ...obj, size: 3 }, importing: { id: 'i-8' } }),
        resourceChange('t.moved', ['no-op'], { before: obj, after: obj }, { previous_address: 't.old' }),
        resourceChange('t.teleport', ['teleport'], { before: obj, after: obj }),
      ]),
    );
    expect(analysis.summary).toEqual({ add: 4, change: 2, destroy: 4, replace: 2, import: 2, move: 1, forget: 2, read: 1, no_op: 4 });
    expect(formatSummaryLine(analysis.summary)).toBe('Plan: 2 to import, 4 to add, 2 to change, 4 to destroy, 2 to forget.');
    // no-ops are not changes unless they move or import; deleted data sources are not shown
    const addresses = analysis.changes.map((c) => c.address);
    expect(addresses).not.toContain('t.noop');
    expect(addresses).not.toContain('data.d.noop');
    expect(addresses).not.toContain('data.d.gone');
    expect(addresses).toEqual(expect.arrayContaining(['t.imported', 't.moved', 't.teleport', 'data.d.read']));
    expect(analysis.changes.find((c) => c.address === 't.teleport')?.action).toBe('unknown');
  });

  it('is "none" with no changes', () => {
    const analysis = analyzePlan(plan([resourceChange('t.a', ['no-op'], { before: obj, after: obj })]));
    expect(analysis.risk.level).toBe('none');
    expect(analysis.changes).toEqual([]);
    expect(formatSummaryLine(analysis.summary)).toBe('Plan: 0 to add, 0 to change, 0 to destroy.');
  });
});

describe('headers in Terraform wording', () => {
  const header = (...args: Parameters<typeof resourceChange>): string => analyzePlan(plan([resourceChange(...args)])).changes[0]!.header;

  it.each([
    [['t.a', ['create']], '# t.a will be created'],
    [['t.a', ['update'], { before: obj, after: obj }], '# t.a will be updated in-place'],
    [['t.a', ['delete'], { before: obj }], '# t.a will be destroyed'],
    [['t.a', ['delete', 'create'], {}, { action_reason: 'replace_because_tainted' }], '# t.a is tainted, so must be replaced'],
    [['t.a', ['create', 'delete'], {}, { action_reason: 'replace_by_request' }], '# t.a will be replaced, as requested'],
    [['t.a', ['delete', 'create'], {}, { action_reason: 'replace_by_triggers' }], '# t.a will be replaced due to changes in replace_triggered_by'],
    [['t.a', ['delete', 'create'], {}, { action_reason: 'replace_because_cannot_update' }], '# t.a must be replaced'],
    [['t.a', ['delete'], { before: obj }, { action_reason: 'delete_because_no_resource_config' }], '# t.a will be destroyed\n# (because t.a is not in configuration)'],
    [['t.a[3]', ['delete'], { before: obj }, { action_reason: 'delete_because_count_index', index: 3 }], '# t.a[3] will be destroyed\n# (because index [3] is out of range for count)'],
    [['t.a["k"]', ['delete'], { before: obj }, { action_reason: 'delete_because_each_key', index: 'k' }], '# t.a["k"] will be destroyed\n# (because key ["k"] is not in for_each map)'],
    [['module.m.t.a', ['delete'], { before: obj }, { action_reason: 'delete_because_no_module', module_address: 'module.m' }], '# module.m.t.a will be destroyed\n# (because module.m is not in configuration)'],
    [['t.a', ['delete'], { before: obj }, { deposed: '00aa' }], '# t.a (deposed object 00aa) will be destroyed\n# (left over from a partially-failed replacement of this instance)'],
    [['data.d.a', ['read'], {}, { action_reason: 'read_because_config_unknown' }], '# data.d.a will be read during apply\n# (config refers to values not yet known)'],
    [['data.d.a', ['read'], {}, { action_reason: 'read_because_dependency_pending' }], '# data.d.a will be read during apply\n# (depends on a resource or a module with changes pending)'],
    [['t.a', ['no-op'], { before: obj, after: obj }, { previous_address: 't.b' }], '# t.b has moved to t.a'],
    [['t.a', ['update'], { before: obj, after: obj }, { previous_address: 't.b' }], '# t.a will be updated in-place\n# (moved from t.b)'],
    [['t.a', ['no-op'], { before: obj, after: obj, importing: { id: 'i-1' } }], '# t.a will be imported'],
    [['t.a', ['update'], { before: obj, after: obj, importing: { id: 'i-1' } }], '# t.a will be updated in-place\n# (imported from "i-1")'],
    [['t.a', ['forget'], { before: obj }], '# t.a will no longer be managed by Terraform, but will not be destroyed\n# (destroy = false is set in the configuration)'],
    [['t.a', ['create', 'forget'], { before: obj, after: obj }], '# t.a must be replaced, but the existing object will not be destroyed\n# (destroy = false is set in the configuration)'],
    [['t.a', ['jump']], '# t.a has actions this version of infra-review does not know: jump'],
  ] as [Parameters<typeof resourceChange>, string][])('%j', (args, expected) => {
    expect(header(...args)).toBe(expected);
  });

  it('words drift as "has changed" and "has been deleted"', () => {
    const analysis = analyzePlan(
      plan([], {
        resource_drift: [resourceChange('t.a', ['update'], { before: obj, after: { ...obj, size: 5 } }), resourceChange('t.b', ['delete'], { before: obj })],
      }),
    );
    expect(analysis.drift.map((d) => d.header)).toEqual(['# t.a has changed', '# t.b has been deleted']);
    expect(analysis.drift[0]!.diff).toContain('~       size = 1 -> 5');
  });
});

describe('drift', () => {
  const drifted = [
    resourceChange('t.read', ['update'], { before: { id: 'a', string: 'x', tags: { a: '1' } }, after: { id: 'a', string: 'y', tags: { a: '1' } } }),
    resourceChange('t.tags', ['update'], { before: { id: 'b', string: 'x', tags: { a: '1' } }, after: { id: 'b', string: 'x', tags: { a: '2' } } }),
    resourceChange('t.gone', ['delete'], { before: { id: 'c' } }),
    resourceChange('t.moved', ['no-op'], { before: { id: 'd' }, after: { id: 'd' } }, { previous_address: 't.old' }),
  ];

  it('keeps only drift in attributes the plan depends on, as Terraform shows it', () => {
    const analysis = analyzePlan(
      plan([], {
        resource_drift: drifted,
        relevant_attributes: [
          { resource: 't.read', attribute: ['string'] },
          { resource: 't.tags', attribute: ['string'] },
        ],
      }),
    );
    expect(analysis.drift.map((d) => d.address)).toEqual(['t.read', 't.gone']);
  });

  it('keeps all drift when the plan has no relevant_attributes (Terraform before 1.2)', () => {
    const analysis = analyzePlan(plan([], { resource_drift: drifted }));
    expect(analysis.drift.map((d) => d.address)).toEqual(['t.read', 't.tags', 't.gone']);
  });
});

describe('plan-level notes', () => {
  it('reports errors, incomplete plans, deferrals, failed checks and unknown fields', () => {
    const analysis = analyzePlan(
      plan([], {
        errored: true,
        complete: false,
        deferred_changes: [{ reason: 'provider_config_unknown', resource_change: resourceChange('t.later', ['create']) }],
        checks: [
          { address: { to_display: 'check.health' }, status: 'fail', instances: [{ problems: [{ message: 'endpoint is down' }] }] },
          { address: { to_display: 'check.ok' }, status: 'pass' },
        ],
        shiny_new_field: 1,
      }),
    );
    expect(analysis.errored).toBe(true);
    expect(analysis.notes.join('\n')).toContain('errored');
    expect(analysis.notes.join('\n')).toContain('complete = false');
    expect(analysis.notes).toContain('t.later was deferred to a later plan (because the provider configuration is unknown).');
    expect(analysis.notes).toContain('Check check.health failed: endpoint is down');
    expect(analysis.notes.join('\n')).not.toContain('check.ok');
    expect(analysis.notes.join('\n')).toContain('shiny_new_field');
  });
});

describe('toAnalysisJson', () => {
  it('produces the DESIGN.md contract', () => {
    const analysis = analyzePlan(
      plan([resourceChange('aws_db_instance.main', ['delete'], { before: { id: 'db' } }), resourceChange('t.b', ['no-op'], { before: obj, after: obj }, { previous_address: 't.a' })]),
    );
    const json = toAnalysisJson(analysis);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['format_version', 'summary', 'risk', 'changes']));
    expect(Object.keys(json.summary).sort()).toEqual(['add', 'change', 'destroy', 'forget', 'import', 'move', 'no_op', 'read', 'replace']);
    expect(json.risk.level).toBe('critical');
    expect(json.changes[0]).toMatchObject({ address: 'aws_db_instance.main', actions: ['delete'], risk: 'critical', action: 'delete' });
    expect(json.changes[0]!.reasons[0]).toBe('deletes aws_db_instance.main: a database; data is lost unless a snapshot or backup exists');
    expect(json.changes[1]).toMatchObject({ address: 't.b', previous_address: 't.a', action: 'no-op' });
    // JSON output never carries diff text
    expect(JSON.stringify(json)).not.toContain('resource "');
  });
});

describe('the plan risk reasons', () => {
  const rules = { many_changes_threshold: 1000, rules: [{ type: 'aws_s3_bucket', level: 'critical' as const, reason: 'buckets are sacred' }] };

  it('lists the distinct reasons of the changes at the plan level in plan order, at most 20, and counts the rest', () => {
    const analysis = analyzePlan(
      plan([
        resourceChange('aws_instance.before', ['create'], { after: obj }),
        ...Array.from({ length: 12 }, (_, i) => resourceChange(`aws_db_instance.d${i}`, ['delete'], { before: obj })),
        ...Array.from({ length: 12 }, (_, i) => resourceChange(`aws_s3_bucket.b${i}`, ['create'], { after: obj })),
        resourceChange('aws_instance.after', ['delete'], { before: obj }),
      ]),
      { risk: riskConfigSchema.parse(rules) },
    );
    expect(analysis.risk.level).toBe('critical');
    const databases = Array.from({ length: 12 }, (_, i) => `deletes aws_db_instance.d${i}: a database; data is lost unless a snapshot or backup exists`);
    const ruled = 'buckets are sacred (rule for "aws_s3_bucket" in .github/infra-review.yml raises the level from low to critical)';
    const buckets = Array.from({ length: 12 }, (_, i) => `creates aws_s3_bucket.b${i}`);
    // 12 + 1 + 12 distinct reasons at "critical" (the rule's reason once): the first 20 in plan order, then a count.
    expect(analysis.risk.reasons).toEqual([...databases, buckets[0], ruled, ...buckets.slice(1, 7), 'and 5 more reasons at this level']);
  });

  it('is the same whatever each change is kept as', () => {
    const changes = Array.from({ length: 30 }, (_, i) => resourceChange(`aws_s3_bucket.b${i}`, i % 3 === 0 ? ['delete'] : ['create'], { before: obj, after: obj }));
    const options = { risk: riskConfigSchema.parse(rules) };
    expect(analyzePlan(plan(changes), { ...options, keepChange: changeJsonText }).risk).toEqual(analyzePlan(plan(changes), options).risk);
  });

  it('names no change reason when a plan-wide reason sets a higher level than any change', () => {
    const changes = Array.from({ length: 3 }, (_, i) => resourceChange(`aws_instance.n${i}`, ['create'], { after: obj }));
    const analysis = analyzePlan(plan(changes), { risk: riskConfigSchema.parse({ many_changes_threshold: 2 }) });
    expect(analysis.risk).toEqual({ level: 'medium', reasons: [expect.stringContaining('3 resources change in one plan')] });
  });
});
