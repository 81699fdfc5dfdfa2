import type { ChangeAction } from './analysis.js';

/**
 * Map a plan's `actions` array to one ChangeAction. Unknown lists (a future Terraform) become
 * 'unknown': shown with their raw actions, counted nowhere, never a crash.
 */
export function classifyActions(actions: readonly string[]): ChangeAction {
  if (actions.length === 1) {
    switch (actions[0]) {
      case 'no-op':
      case 'create':
      case 'read':
      case 'update':
      case 'delete':
      case 'forget':
        return actions[0];
      default:
        return 'unknown';
    }
  }
  if (actions.length === 2) {
    const [first, second] = actions;
    if (first === 'delete' && second === 'create') return 'replace';
    if (first === 'create' && second === 'delete') return 'replace-create-first';
    if (first === 'create' && second === 'forget') return 'create-forget';
  }
  return 'unknown';
}

export function isReplaceAction(action: ChangeAction): boolean {
  return action === 'replace' || action === 'replace-create-first';
}

/** Terraform's action symbol, trimmed (the renderer pads it). */
export function actionSymbol(action: ChangeAction): string {
  switch (action) {
    case 'create':
      return '+';
    case 'delete':
      return '-';
    case 'update':
      return '~';
    case 'replace':
      return '-/+';
    case 'replace-create-first':
      return '+/-';
    case 'create-forget':
      return '+/.';
    case 'read':
      return '<=';
    case 'forget':
      return '.';
    case 'no-op':
      return '';
    case 'unknown':
      return '?';
  }
}
