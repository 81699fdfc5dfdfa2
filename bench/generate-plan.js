/**
 * A synthetic `terraform show -json` plan: many resource changes with mixed actions, nested attributes
 * and sensitive values, deterministic for a given size. Used by the benchmark and by the render tests.
 */

const ACTIONS = [
  ['create'],
  ['create'],
  ['create'],
  ['create'],
  ['update'],
  ['update'],
  ['update'],
  ['delete'],
  ['delete', 'create'],
  ['create', 'delete'],
  ['read'],
  ['no-op'],
];

const TYPES = ['aws_instance', 'aws_security_group', 'aws_s3_bucket', 'aws_db_instance', 'aws_iam_role', 'aws_lambda_function'];

/** Mulberry32: a tiny seeded PRNG, so every run generates the same plan. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The secret string of resource `i`: tests assert it never appears in rendered output. */
export function secretOf(i) {
  return `s3cr3t-value-${i}-do-not-print`;
}

function attributes(i, version, rnd) {
  return {
    name: `resource-${i}`,
    instance_type: version === 0 ? 't3.micro' : rnd() < 0.5 ? 't3.large' : 't3.micro',
    password: secretOf(i),
    tags: { Name: `resource-${i}`, Team: `team-${i % 17}`, Environment: i % 3 === 0 ? 'prod' : 'staging', Version: String(version) },
    ingress: [
      { from_port: 443, to_port: 443, protocol: 'tcp', cidr_blocks: version === 0 ? ['10.0.0.0/8'] : ['10.0.0.0/8', `172.16.${i % 256}.0/24`] },
      { from_port: 22, to_port: 22, protocol: 'tcp', cidr_blocks: ['10.1.0.0/16'] },
    ],
    root_block_device: [{ volume_size: 20 + version * 10, volume_type: 'gp3', encrypted: true, kms_key_id: `arn:aws:kms:eu-west-1:123456789012:key/${i}` }],
    policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: `arn:aws:s3:::bucket-${i}/*` }] }),
    connection: { host: `db-${i}.internal`, user: 'admin', secret_token: `${secretOf(i)}-token` },
  };
}

const SENSITIVE = { password: true, connection: { secret_token: true } };

/** A plan with `count` resource changes (about 1.4 KB of JSON each). */
export function generatePlan(count, seed = 42) {
  const rnd = random(seed);
  const resource_changes = [];
  for (let i = 0; i < count; i++) {
    const actions = ACTIONS[i % ACTIONS.length];
    const type = TYPES[i % TYPES.length];
    const before = actions[0] === 'create' && actions.length === 1 ? null : attributes(i, 0, rnd);
    const after = actions[0] === 'delete' && actions.length === 1 ? null : actions[0] === 'no-op' || actions[0] === 'read' ? before ?? attributes(i, 0, rnd) : attributes(i, 1, rnd);
    const change = {
      actions,
      before: actions[0] === 'read' ? null : before,
      after,
      after_unknown: after ? { id: true, arn: true } : {},
      before_sensitive: before ? SENSITIVE : false,
      after_sensitive: after ? SENSITIVE : false,
    };
    if (actions.length === 2) change.replace_paths = [['instance_type']];
    resource_changes.push({
      address: i % 10 === 0 ? `module.m${i % 7}.${type}.r${i}` : `${type}.r${i}`,
      ...(i % 10 === 0 ? { module_address: `module.m${i % 7}` } : {}),
      mode: actions[0] === 'read' ? 'data' : 'managed',
      type,
      name: `r${i}`,
      provider_name: 'registry.terraform.io/hashicorp/aws',
      change,
      ...(actions.length === 2 ? { action_reason: 'replace_because_cannot_update' } : {}),
    });
  }
  return {
    format_version: '1.2',
    terraform_version: '1.9.5',
    resource_changes,
    output_changes: {
      endpoint: { actions: ['update'], before: 'a.example.com', after: 'b.example.com', after_unknown: false, before_sensitive: false, after_sensitive: false },
      db_password: { actions: ['update'], before: secretOf(-1), after: secretOf(-2), after_unknown: false, before_sensitive: true, after_sensitive: true },
    },
    errored: false,
  };
}
