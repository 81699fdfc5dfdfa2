/**
 * The comment line(s) Terraform prints above each resource diff ("# aws_instance.web must be replaced"),
 * worded as Terraform's renderer words them, so reviewers read what they already know.
 */
import type { ChangeAction } from './analysis.js';
import type { RawResourceChange } from './plan-model.js';

export type ChangeCause = 'change' | 'drift';

const READ_REASONS: Record<string, string> = {
  read_because_config_unknown: '(config refers to values not yet known)',
  read_because_dependency_pending: '(depends on a resource or a module with changes pending)',
  read_because_check_nested: '(config will be reloaded to verify a check block)',
};

export function describeChange(resource: RawResourceChange, action: ChangeAction, cause: ChangeCause = 'change'): string {
  const address = resource.deposed ? `${resource.address} (deposed object ${resource.deposed})` : resource.address;
  const previous = resource.previous_address && resource.previous_address !== resource.address ? resource.previous_address : undefined;
  const importing = resource.change.importing !== undefined && resource.change.importing !== null;
  const lines: string[] = [];
  let printedMoved = false;
  let printedImported = false;
  switch (action) {
    case 'create':
      lines.push(`# ${address} will be created`);
      break;
    case 'read': {
      lines.push(`# ${address} will be read during apply`);
      const why = resource.action_reason ? READ_REASONS[resource.action_reason] : undefined;
      if (why) lines.push(`# ${why}`);
      break;
    }
    case 'update':
      lines.push(cause === 'drift' ? `# ${address} has changed` : `# ${address} will be updated in-place`);
      break;
    case 'replace':
    case 'replace-create-first':
      switch (resource.action_reason) {
        case 'replace_because_tainted':
          lines.push(`# ${address} is tainted, so must be replaced`);
          break;
        case 'replace_by_request':
          lines.push(`# ${address} will be replaced, as requested`);
          break;
        case 'replace_by_triggers':
          lines.push(`# ${address} will be replaced due to changes in replace_triggered_by`);
          break;
        default:
          lines.push(`# ${address} must be replaced`);
      }
      break;
    case 'create-forget':
      lines.push(`# ${address} must be replaced, but the existing object will not be destroyed`);
      lines.push('# (destroy = false is set in the configuration)');
      break;
    case 'forget':
      if (resource.deposed) {
        lines.push(`# ${address} will be removed from Terraform state, but will not be destroyed`);
        lines.push('# (left over from a partially-failed replacement of this instance)');
      } else {
        lines.push(`# ${address} will no longer be managed by Terraform, but will not be destroyed`);
      }
      lines.push('# (destroy = false is set in the configuration)');
      break;
    case 'delete':
      lines.push(cause === 'drift' ? `# ${address} has been deleted` : `# ${address} will be destroyed`);
      lines.push(...deleteReason(resource));
      if (resource.deposed) lines.push('# (left over from a partially-failed replacement of this instance)');
      break;
    case 'no-op':
      if (previous) {
        lines.push(`# ${previous} has moved to ${address}`);
        printedMoved = true;
      } else if (importing) {
        lines.push(`# ${address} will be imported`);
        if (resource.change.generated_config) lines.push('# (config will be generated)');
        printedImported = true;
      } else {
        lines.push(`# ${address} has no changes`);
      }
      break;
    case 'unknown':
      lines.push(`# ${address} has actions this version of infra-review does not know: ${resource.change.actions.join(', ')}`);
      break;
  }
  if (previous && !printedMoved) lines.push(`# (moved from ${previous})`);
  if (importing && !printedImported) {
    const id = resource.change.importing?.id;
    lines.push(typeof id === 'string' && id.length > 0 ? `# (imported from ${JSON.stringify(id)})` : '# (will be imported first)');
  }
  if (importing && (action === 'replace' || action === 'replace-create-first')) {
    lines.push('# Warning: this will destroy the imported resource');
  }
  return lines.join('\n');
}

function deleteReason(resource: RawResourceChange): string[] {
  switch (resource.action_reason) {
    case 'delete_because_no_resource_config':
      return [`# (because ${resource.type ?? '?'}.${resource.name ?? '?'} is not in configuration)`];
    case 'delete_because_no_move_target':
      return [`# (because ${resource.previous_address ?? '?'} was moved to ${resource.address}, which is not in configuration)`];
    case 'delete_because_no_module':
      return [`# (because ${resource.module_address ?? 'its module'} is not in configuration)`];
    case 'delete_because_wrong_repetition':
      if (typeof resource.index === 'number') return ['# (because resource does not use count)'];
      if (typeof resource.index === 'string') return ['# (because resource does not use for_each)'];
      return ['# (because resource uses count or for_each)'];
    case 'delete_because_count_index':
      return [`# (because index [${JSON.stringify(resource.index)}] is out of range for count)`];
    case 'delete_because_each_key':
      return [`# (because key [${JSON.stringify(resource.index)}] is not in for_each map)`];
    default:
      return [];
  }
}
