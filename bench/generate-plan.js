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

/**
 * The same plan in the shape `terraform show -json` really writes: besides the changes it carries
 * `planned_values` (every resource's values after apply), `prior_state` (before) and `configuration`
 * (the expressions), so about three times the bytes for the same changes. The analysis reads none of
 * those sections; the benchmark shows this shape as an extra row, never as the headline.
 */
export function generateRealisticPlan(count, seed = 42) {
  const plan = generatePlan(count, seed);
  const resourcesOf = (pick) =>
    plan.resource_changes
      .filter((rc) => pick(rc) !== null && pick(rc) !== undefined)
      .map((rc) => ({
        address: rc.address,
        mode: rc.mode,
        type: rc.type,
        name: rc.name,
        provider_name: rc.provider_name,
        schema_version: 1,
        values: pick(rc),
        sensitive_values: { password: true, connection: { secret_token: true } },
      }));
  const planned = resourcesOf((rc) => rc.change.after);
  const prior = resourcesOf((rc) => rc.change.before);
  const configuration = plan.resource_changes.map((rc) => ({
    address: rc.address.replace(/^module\.[^.]+\./, ''),
    mode: rc.mode,
    type: rc.type,
    name: rc.name,
    provider_config_key: 'aws',
    expressions: {
      name: { references: [`var.prefix`] },
      instance_type: { constant_value: 't3.micro' },
      password: { references: ['var.db_password'] },
      tags: { references: ['local.tags'] },
      ingress: [{ from_port: { constant_value: 443 }, to_port: { constant_value: 443 }, cidr_blocks: { references: ['var.cidrs'] } }],
    },
    schema_version: 1,
  }));
  const { resource_changes, output_changes, errored, ...head } = plan;
  return {
    ...head,
    variables: { prefix: { value: 'bench' }, cidrs: { value: ['10.0.0.0/8'] } },
    planned_values: { outputs: { endpoint: { sensitive: false, value: 'b.example.com' } }, root_module: { resources: planned } },
    resource_changes,
    output_changes,
    prior_state: { format_version: '1.0', terraform_version: head.terraform_version, values: { root_module: { resources: prior } } },
    configuration: { provider_config: { aws: { name: 'aws', full_name: 'registry.terraform.io/hashicorp/aws' } }, root_module: { resources: configuration } },
    relevant_attributes: [],
    timestamp: '2025-01-01T00:00:00Z',
    applyable: true,
    complete: true,
    errored,
  };
}
