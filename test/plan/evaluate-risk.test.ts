import { describe, expect, it } from 'vitest';
import { analyzePlan } from '../../src/plan/analyze-plan.js';
import type { RiskAttributeCondition, RiskConfigInput } from '../../src/plan/risk-config.js';
import { riskConfigSchema } from '../../src/plan/risk-config.js';
import type { RawChange, RawResourceChange } from '../../src/plan/plan-model.js';
import { plan, resourceChange } from './plan-builders.js';

function rate(changes: RawResourceChange[], risk?: RiskConfigInput) {
  return analyzePlan(plan(changes), risk ? { risk: riskConfigSchema.parse(risk) } : {});
}

function rateOne(address: string, actions: string[], change: Partial<RawChange> = {}, extra: Partial<RawResourceChange> = {}, risk?: RiskConfigInput) {
  const analysis = rate([resourceChange(address, actions, change, extra)], risk);
  // A change's fields are getters (read from the plan entry): read them, an object spread would not.
  const rated = analysis.changes[0]!;
  return { risk: rated.risk, reasons: rated.reasons, plan: analysis };
}

const obj = { id: 'x' };

describe('built-in risk tiers', () => {
  it.each([
    ['aws_db_instance.main', 'a database'],
    ['aws_s3_bucket.logs', 'a storage bucket'],
    ['aws_ebs_volume.data', 'a disk or file system'],
    ['aws_efs_file_system.shared', 'a disk or file system'],
    ['aws_sqs_queue.jobs', 'a queue, topic or stream'],
    ['aws_kms_key.main', 'an encryption key'],
    ['aws_route53_zone.primary', 'a DNS zone'],
    ['aws_secretsmanager_secret.api', 'a secret'],
    ['aws_ecr_repository.app', 'a container or artifact registry'],
    ['google_sql_database_instance.main', 'a database'],
    ['google_storage_bucket.assets', 'a storage bucket'],
    ['google_compute_disk.data', 'a disk or file system'],
    ['google_pubsub_topic.events', 'a queue, topic or stream'],
    ['google_kms_crypto_key.k', 'an encryption key'],
    ['google_dns_managed_zone.z', 'a DNS zone'],
    ['google_secret_manager_secret.s', 'a secret'],
    ['google_artifact_registry_repository.r', 'a container or artifact registry'],
    ['azurerm_mssql_database.db', 'a database'],
    ['azurerm_cosmosdb_sql_database.db', 'a database'],
    ['azurerm_storage_account.sa', 'a storage bucket'],
    ['azurerm_managed_disk.d', 'a disk or file system'],
    ['azurerm_servicebus_queue.q', 'a queue, topic or stream'],
    ['azurerm_key_vault_key.k', 'an encryption key'],
    ['azurerm_dns_zone.z', 'a DNS zone'],
    ['azurerm_key_vault_secret.s', 'a secret'],
    ['azurerm_container_registry.acr', 'a container or artifact registry'],
  ])('deleting or replacing %s (%s) is critical', (address, what) => {
    const deleted = rateOne(address, ['delete'], { before: obj });
    expect(deleted.risk).toBe('critical');
    expect(deleted.reasons[0]).toMatch(new RegExp(`^deletes ${address.replace(/[.[\]]/g, '\\$&')}: ${what}; `));
    const replaced = rateOne(address, ['create', 'delete'], { before: obj, after: obj, replace_paths: [['name']] });
    expect(replaced.risk).toBe('critical');
    expect(replaced.reasons[0]).toContain(`replaces (creates, then destroys) ${address} (forced by a change to name): ${what}`);
  });

  it('words the database reason as the issue asks', () => {
    expect(rateOne('aws_db_instance.main', ['delete'], { before: obj }).reasons).toEqual([
      'deletes aws_db_instance.main: a database; data is lost unless a snapshot or backup exists',
    ]);
  });

  it('rates other deletes and replacements high, disposable ones medium', () => {
    expect(rateOne('aws_instance.web', ['delete'], { before: obj }).risk).toBe('high');
    expect(rateOne('aws_instance.web', ['delete', 'create'], { before: obj, after: obj }).risk).toBe('high');
    const disposable = rateOne('null_resource.hook', ['delete', 'create'], { before: obj, after: obj });
    expect(disposable.risk).toBe('medium');
    expect(disposable.reasons[0]).toContain('holds no data');
    expect(rateOne('aws_instance.web', ['delete'], { before: obj }, { deposed: 'dd' }).reasons[0]).toContain('left over from a failed replacement');
  });

  it.each(['aws_iam_role.app', 'aws_iam_policy.p', 'aws_s3_bucket_policy.b', 'aws_ssoadmin_permission_set.admins', 'google_project_iam_member.m', 'google_storage_bucket_iam_binding.b', 'azurerm_role_assignment.ra', 'kubernetes_cluster_role_binding.crb'])(
    'rates any change to %s high (access control)',
    (address) => {
      for (const actions of [['create'], ['update'], ['delete']]) {
        const rated = rateOne(address, actions, { before: actions[0] === 'create' ? null : obj, after: actions[0] === 'delete' ? null : { id: 'y' } });
        expect(rated.risk, actions.join()).toBe('high');
        expect(rated.reasons.join()).toContain('changes who may access what');
      }
    },
  );

  it('does not treat autoscaling policies as IAM', () => {
    expect(rateOne('aws_autoscaling_policy.scale', ['update'], { before: { id: 'a', x: 1 }, after: { id: 'a', x: 2 } }).risk).toBe('low');
  });

  it('rates firewall changes medium', () => {
    const sg = { id: 'sg', ingress: [{ cidr_blocks: ['10.0.0.0/8'], from_port: 443, to_port: 443, protocol: 'tcp' }] };
    const rated = rateOne('aws_security_group.web', ['update'], { before: sg, after: { ...sg, description: 'x' } });
    expect(rated.risk).toBe('medium');
    expect(rated.reasons.join()).toContain('firewall or security-group rules');
  });

  describe('ingress from the whole internet', () => {
    const ingress = (cidr: string, from: number, to: number, protocol = 'tcp') => ({ id: 'sg', ingress: [{ cidr_blocks: [cidr], ipv6_cidr_blocks: [], from_port: from, to_port: to, protocol }] });

    it.each([
      ['SSH', ingress('0.0.0.0/0', 22, 22), 'critical', 'port 22 to the whole internet (0.0.0.0/0), including SSH (22)'],
      ['RDP', ingress('0.0.0.0/0', 3389, 3389), 'critical', 'RDP (3389)'],
      ['PostgreSQL in a range', ingress('0.0.0.0/0', 5000, 6000), 'critical', 'ports 5000-6000 to the whole internet (0.0.0.0/0), including PostgreSQL (5432)'],
      ['all traffic', ingress('0.0.0.0/0', 0, 0, '-1'), 'critical', 'all ports'],
      ['HTTPS', ingress('0.0.0.0/0', 443, 443), 'high', 'opens port 443 to the whole internet (0.0.0.0/0)'],
      ['private range', ingress('10.0.0.0/8', 22, 22), 'medium', 'firewall'],
    ])('aws_security_group opening %s', (_what, after, level, reason) => {
      const rated = rateOne('aws_security_group.web', ['create'], { after });
      expect(rated.risk).toBe(level);
      expect(rated.reasons.join('\n')).toContain(reason);
    });

    it('sees IPv6 ::/0 and the separate rule resources of AWS, Google Cloud and Azure', () => {
      expect(rateOne('aws_security_group_rule.ssh', ['create'], { after: { type: 'ingress', cidr_blocks: [], ipv6_cidr_blocks: ['::/0'], from_port: 22, to_port: 22, protocol: 'tcp' } }).risk).toBe('critical');
      expect(rateOne('aws_security_group_rule.out', ['create'], { after: { type: 'egress', cidr_blocks: ['0.0.0.0/0'], from_port: 22, to_port: 22, protocol: 'tcp' } }).risk).toBe('medium');
      expect(rateOne('aws_vpc_security_group_ingress_rule.db', ['create'], { after: { cidr_ipv4: '0.0.0.0/0', from_port: 3306, to_port: 3306, ip_protocol: 'tcp' } }).risk).toBe('critical');
      expect(rateOne('google_compute_firewall.ssh', ['create'], { after: { direction: 'INGRESS', source_ranges: ['0.0.0.0/0'], allow: [{ protocol: 'tcp', ports: ['22'] }] } }).risk).toBe('critical');
      expect(rateOne('google_compute_firewall.web', ['create'], { after: { source_ranges: ['0.0.0.0/0'], allow: [{ protocol: 'tcp', ports: ['80', '443'] }] } }).risk).toBe('high');
      expect(rateOne('azurerm_network_security_rule.rdp', ['create'], { after: { direction: 'Inbound', access: 'Allow', protocol: 'Tcp', source_address_prefix: '*', destination_port_range: '3389' } }).risk).toBe('critical');
      expect(rateOne('azurerm_network_security_rule.deny', ['create'], { after: { direction: 'Inbound', access: 'Deny', protocol: 'Tcp', source_address_prefix: '*', destination_port_range: '3389' } }).risk).toBe('medium');
    });

    it('does not flag ingress that was already open before the change', () => {
      const open = ingress('0.0.0.0/0', 22, 22);
      const rated = rateOne('aws_security_group.web', ['update'], { before: open, after: { ...open, description: 'new' } });
      expect(rated.risk).toBe('medium');
    });
  });

  it.each([
    ['publicly_accessible', false, true, 'publicly_accessible = true makes it reachable from the internet'],
    ['deletion_protection', true, false, 'deletion_protection = false turns deletion protection off'],
    ['skip_final_snapshot', false, true, 'skip_final_snapshot = true skips the final snapshot'],
    ['force_destroy', false, true, 'force_destroy = true allows deleting it with all its contents'],
    ['storage_encrypted', true, false, 'storage_encrypted = false turns encryption at rest off'],
    ['acl', 'private', 'public-read', 'acl = "public-read" grants public read access'],
    ['block_public_acls', true, false, 'block_public_acls = false stops blocking public ACLs'],
  ])('rates %s turning dangerous high', (attribute, safe, dangerous, reason) => {
    const rated = rateOne('aws_thing.x', ['update'], { before: { id: 'x', [attribute]: safe }, after: { id: 'x', [attribute]: dangerous } });
    expect(rated.risk).toBe('high');
    expect(rated.reasons.filter((r) => r.startsWith(`updates aws_thing.x: ${reason}`))).toHaveLength(1);
    // already dangerous before: nothing turns
    expect(rateOne('aws_thing.x', ['update'], { before: { id: 'x', [attribute]: dangerous, v: 1 }, after: { id: 'x', [attribute]: dangerous, v: 2 } }).risk).toBe('low');
  });

  it('flags public access on create but not provider-default values like skip_final_snapshot', () => {
    expect(rateOne('aws_db_instance.x', ['create'], { after: { publicly_accessible: true } }).risk).toBe('high');
    expect(rateOne('aws_db_instance.x', ['create'], { after: { skip_final_snapshot: true, deletion_protection: false } }).risk).toBe('low');
    // an unknown value is not known to be dangerous
    expect(rateOne('aws_db_instance.x', ['create'], { after: { publicly_accessible: null }, after_unknown: { publicly_accessible: true } }).risk).toBe('low');
  });

  it('rates creates low, in-place updates low (medium for data-bearing types), tag-only updates none', () => {
    expect(rateOne('aws_instance.web', ['create'], { after: obj }).risk).toBe('low');
    expect(rateOne('aws_instance.web', ['update'], { before: { id: 'x', a: 1 }, after: { id: 'x', a: 2 } }).risk).toBe('low');
    expect(rateOne('aws_db_instance.db', ['update'], { before: { id: 'x', a: 1 }, after: { id: 'x', a: 2 } }).risk).toBe('medium');
    const tags = rateOne('aws_db_instance.db', ['update'], { before: { id: 'x', tags: { a: '1' }, tags_all: { a: '1' } }, after: { id: 'x', tags: { a: '2' }, tags_all: { a: '2' } } });
    expect(tags.risk).toBe('none');
    expect(tags.reasons).toEqual(['updates only the tags or labels of aws_db_instance.db']);
    expect(rateOne('google_compute_instance.vm', ['update'], { before: { id: 'x', labels: { a: '1' } }, after: { id: 'x', labels: { a: '2' } } }).risk).toBe('none');
    expect(rateOne('data.aws_ami.ubuntu', ['read'], { after: obj }).risk).toBe('none');
  });

  it('rates a plan of creates low and an empty plan none', () => {
    expect(rate([resourceChange('a.b', ['create'], { after: obj }), resourceChange('a.c', ['create'], { after: obj })]).risk.level).toBe('low');
    const empty = rate([]);
    expect(empty.risk).toEqual({ level: 'none', reasons: ['no changes'] });
  });

  it('raises a plan with many changes to medium, threshold configurable', () => {
    const creates = (n: number) => Array.from({ length: n }, (_, i) => resourceChange(`a.r${i}`, ['create'], { after: obj }));
    expect(rate(creates(24)).risk.level).toBe('low');
    const many = rate(creates(25));
    expect(many.risk.level).toBe('medium');
    expect(many.risk.reasons[0]).toContain('25 resources change in one plan');
    expect(rate(creates(5), { many_changes_threshold: 5 }).risk.level).toBe('medium');
    expect(rate(creates(5), { many_changes_threshold: 6 }).risk.level).toBe('low');
  });

  it('raises a plan with drift to medium', () => {
    const analysis = analyzePlan(plan([resourceChange('a.b', ['create'], { after: obj })], { resource_drift: [resourceChange('a.c', ['update'], { before: { id: 'x', v: 1 }, after: { id: 'x', v: 2 } })] }));
    expect(analysis.risk.level).toBe('medium');
    expect(analysis.risk.reasons[0]).toContain('1 resource changed outside Terraform');
  });

  it('puts the reasons of the highest-rated changes in the plan reasons', () => {
    const analysis = rate([resourceChange('aws_s3_bucket.a', ['delete'], { before: obj }), resourceChange('aws_instance.b', ['delete'], { before: obj })]);
    expect(analysis.risk.level).toBe('critical');
    expect(analysis.risk.reasons).toEqual(['deletes aws_s3_bucket.a: a storage bucket; every object in it is lost']);
  });

  it('rates moves, imports and forgets low and unknown actions medium', () => {
    expect(rateOne('a.b', ['no-op'], { before: obj, after: obj }, { previous_address: 'a.old' }).risk).toBe('low');
    expect(rateOne('a.b', ['no-op'], { before: obj, after: obj, importing: { id: 'x' } }).risk).toBe('low');
    expect(rateOne('aws_s3_bucket.b', ['forget'], { before: obj }).risk).toBe('low');
    expect(rateOne('a.b', ['create', 'forget'], { before: obj, after: obj }).risk).toBe('low');
    const unknown = rateOne('a.b', ['obliterate'], { before: obj });
    expect(unknown.risk).toBe('medium');
    expect(unknown.reasons[0]).toContain('does not know (obliterate)');
  });
});

describe('user rules (risk.rules)', () => {
  it('lowers a built-in level and says so', () => {
    const rated = rateOne('aws_instance.web', ['delete'], { before: obj }, {}, { rules: [{ type: 'aws_instance', level: 'low', reason: 'instances are cattle here' }] });
    expect(rated.risk).toBe('low');
    expect(rated.reasons).toEqual(['deletes aws_instance.web', 'instances are cattle here (rule for "aws_instance" in .github/infra-review.yml lowers the level from high to low)']);
  });

  it('raises a level, matching type globs and actions', () => {
    const risk: RiskConfigInput = { rules: [{ type: 'aws_lambda_*', actions: ['update', 'replace'], level: 'high', reason: 'lambdas serve production traffic' }] };
    const updated = rateOne('aws_lambda_function.api', ['update'], { before: { id: 'x', v: 1 }, after: { id: 'x', v: 2 } }, {}, risk);
    expect(updated.risk).toBe('high');
    expect(updated.reasons[1]).toContain('raises the level from low to high');
    expect(rateOne('aws_lambda_function.api', ['create'], { after: obj }, {}, risk).risk).toBe('low');
    expect(rateOne('aws_instance.api', ['update'], { before: { id: 'x', v: 1 }, after: { id: 'x', v: 2 } }, {}, risk).risk).toBe('low');
  });

  it('matches attribute conditions: equals, in, matches, presence; never on unknown values', () => {
    const rule = (attribute: RiskAttributeCondition) => ({ rules: [{ type: '*', attribute, level: 'critical' as const, reason: 'matched' }] });
    const after = { id: 'x', instance_type: 'm5.24xlarge', tags: { Environment: 'prod' }, ports: [22, 80] };
    const rated = (attribute: RiskAttributeCondition, change: Partial<RawChange> = { after }) => rateOne('aws_instance.big', ['create'], change, {}, rule(attribute)).risk;
    expect(rated({ path: 'instance_type', equals: 'm5.24xlarge' })).toBe('critical');
    expect(rated({ path: 'instance_type', equals: 't3.micro' })).toBe('low');
    expect(rated({ path: 'tags.Environment', in: ['prod', 'production'] })).toBe('critical');
    expect(rated({ path: 'tags.Environment', in: ['dev'] })).toBe('low');
    expect(rated({ path: 'instance_type', matches: '\\.(12|24)xlarge$' })).toBe('critical');
    expect(rated({ path: 'ports.0', equals: 22 })).toBe('critical');
    expect(rated({ path: 'tags.Owner' })).toBe('low');
    expect(rated({ path: 'tags' })).toBe('critical');
    expect(rated({ path: 'instance_type', matches: '.*' }, { after: { id: 'x', instance_type: null }, after_unknown: { instance_type: true } })).toBe('low');
  });

  it('looks at the old values of a delete', () => {
    const risk: RiskConfigInput = { rules: [{ type: 'aws_instance', actions: ['delete'], attribute: { path: 'tags.Environment', equals: 'dev' }, level: 'low', reason: 'dev instances are disposable' }] };
    expect(rateOne('aws_instance.a', ['delete'], { before: { id: 'a', tags: { Environment: 'dev' } } }, {}, risk).risk).toBe('low');
    expect(rateOne('aws_instance.a', ['delete'], { before: { id: 'a', tags: { Environment: 'prod' } } }, {}, risk).risk).toBe('high');
  });

  it('lets the last matching rule win and knows import and move actions', () => {
    const risk: RiskConfigInput = {
      rules: [
        { type: '*', actions: ['import'], level: 'medium', reason: 'imports get a second look' },
        { type: 'aws_s3_*', actions: ['import'], level: 'high', reason: 'bucket imports need the storage team' },
        { type: '*', actions: ['move'], level: 'none', reason: 'moves are refactors' },
      ],
    };
    expect(rateOne('aws_instance.a', ['no-op'], { before: obj, after: obj, importing: { id: 'a' } }, {}, risk).risk).toBe('medium');
    expect(rateOne('aws_s3_bucket.a', ['no-op'], { before: obj, after: obj, importing: { id: 'a' } }, {}, risk).risk).toBe('high');
    expect(rateOne('aws_s3_bucket.a', ['no-op'], { before: obj, after: obj }, { previous_address: 'aws_s3_bucket.b' }, risk).risk).toBe('none');
  });
});
