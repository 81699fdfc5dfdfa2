import type { RawChange, RawPlan, RawResourceChange } from '../../src/plan/plan-model.js';

/** A resource change for hand-written plans: `resourceChange('aws_s3_bucket.logs', ['delete'], { before: {...} })`. */
export function resourceChange(address: string, actions: string[], change: Partial<RawChange> = {}, extra: Partial<RawResourceChange> = {}): RawResourceChange {
  const parts = address.replace(/^data\./, '').split('.');
  const name = parts.pop()!.replace(/\[.*\]$/, '');
  const type = parts.pop() ?? '';
  return {
    address,
    mode: address.startsWith('data.') ? 'data' : 'managed',
    type,
    name,
    provider_name: 'registry.terraform.io/hashicorp/test',
    change: {
      actions,
      before: null,
      after: null,
      after_unknown: {},
      before_sensitive: false,
      after_sensitive: false,
      ...change,
    },
    ...extra,
  };
}

export function plan(resourceChanges: RawResourceChange[], extra: Partial<RawPlan> = {}): RawPlan {
  return { format_version: '1.2', terraform_version: '1.9.0', resource_changes: resourceChanges, ...extra };
}
