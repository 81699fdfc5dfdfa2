import type { ChangeAction, PlanSummary } from './analysis.js';
import type { RawResourceChange } from './plan-model.js';

export function emptySummary(): PlanSummary {
  return { add: 0, change: 0, destroy: 0, replace: 0, import: 0, move: 0, forget: 0, read: 0, no_op: 0 };
}

export function isMoved(resource: RawResourceChange): boolean {
  return typeof resource.previous_address === 'string' && resource.previous_address !== '' && resource.previous_address !== resource.address;
}

export function isImporting(resource: RawResourceChange): boolean {
  return resource.change.importing !== undefined && resource.change.importing !== null;
}

/**
 * Count one resource change into the summary, the way Terraform's "Plan: X to add, Y to change,
 * Z to destroy." line counts (internal/command/jsonformat/plan.go): a replacement is one add and one
 * destroy; a deposed object's delete is a destroy; reads, forgets, moves and imports without changes
 * count in neither; `["create","forget"]` adds the new object and forgets the old one. Data sources
 * never count in add/change/destroy.
 */
export function countChange(summary: PlanSummary, resource: RawResourceChange, action: ChangeAction): void {
  if (isImporting(resource)) summary.import++;
  if (isMoved(resource)) summary.move++;
  if (action === 'read') {
    summary.read++;
    return;
  }
  if (action === 'no-op') {
    summary.no_op++;
    return;
  }
  if (resource.mode === 'data') return;
  switch (action) {
    case 'create':
      summary.add++;
      break;
    case 'update':
      summary.change++;
      break;
    case 'delete':
      summary.destroy++;
      break;
    case 'replace':
    case 'replace-create-first':
      summary.add++;
      summary.destroy++;
      summary.replace++;
      break;
    case 'create-forget':
      summary.add++;
      summary.forget++;
      break;
    case 'forget':
      summary.forget++;
      break;
    case 'unknown':
      break;
  }
}

/** Terraform's own summary line for these counts (with "to import"/"to forget" when present). */
export function formatSummaryLine(summary: PlanSummary): string {
  const parts = [`${summary.add} to add`, `${summary.change} to change`, `${summary.destroy} to destroy`];
  if (summary.import > 0) parts.unshift(`${summary.import} to import`);
  if (summary.forget > 0) parts.push(`${summary.forget} to forget`);
  return `Plan: ${parts.join(', ')}.`;
}
