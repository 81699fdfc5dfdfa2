/**
 * Markdown views of an approval evaluation (pure): one status line for the plan comment, and the
 * requirements table for the `infra-review/approval` check summary.
 * Text from the policy file and from GitHub (section names, patterns, logins, error messages) is
 * untrusted: it only appears escaped, or inside code spans, so it cannot break the table, inject
 * markup, or @-mention anyone.
 */
import { approvalOutcome, type ApprovalEvaluation, type ApprovalRequirement } from './approval-evaluation.js';
import { formatPolicyError } from './owners-policy.js';

const MAX_LINE_ITEMS = 3;

/** One line for the plan comment, e.g. "⏳ **Approvals:** 1 of 2 requirements met; still needed: ...". */
export function formatApprovalStatusLine(evaluation: ApprovalEvaluation): string {
  if (evaluation.errors.length > 0) {
    const n = evaluation.errors.length;
    return `❌ **Approvals:** ${code(evaluation.source.path ?? 'the policy file')} is invalid (${n} error${n === 1 ? '' : 's'}); nothing can be approved until it is fixed.`;
  }
  // The reason is our own text (no untrusted input).
  if (evaluation.unevaluable !== undefined) return `❌ **Approvals:** ${evaluation.unevaluable}.`;
  const total = evaluation.requirements.length;
  const met = evaluation.requirements.filter((r) => r.satisfied).length;
  const source = evaluation.source.kind === 'default' ? ' (default rule: no policy file)' : '';
  if (evaluation.satisfied) {
    if (total === 0) return `✅ **Approvals:** no approval required by the policy${source}.`;
    return `✅ **Approvals:** ${met} of ${total} requirement${total === 1 ? '' : 's'} met${source}.`;
  }
  const open = evaluation.requirements.filter((r) => !r.satisfied);
  const parts = open.slice(0, MAX_LINE_ITEMS).map(describeOpen);
  if (open.length > MAX_LINE_ITEMS) parts.push(`and ${open.length - MAX_LINE_ITEMS} more`);
  const icon = approvalOutcome(evaluation) === 'blocked' ? '❌' : '⏳';
  return `${icon} **Approvals:** ${met} of ${total} requirement${total === 1 ? '' : 's'} met${source}; ${parts.join('; ')}.`;
}

function describeOpen(requirement: ApprovalRequirement): string {
  const where = ruleLabel(requirement);
  if (requirement.blockedBy.length > 0) {
    return `${where}: changes requested by ${requirement.blockedBy.map(code).join(', ')}`;
  }
  if (requirement.problems.length > 0) return `${where}: ${escapeText(requirement.problems[0] as string)}`;
  const missing = requirement.needed - requirement.approvedBy.length;
  return `${where}: ${missing} more from ${requirement.stillNeededFrom.map(code).join(', ') || 'nobody eligible'}`;
}

function ruleLabel(requirement: ApprovalRequirement): string {
  if (requirement.line === null) return 'default rule';
  const section = requirement.section === null ? '' : `${escapeText(requirement.section)} `;
  return `${section}${code(requirement.pattern ?? '')} (line ${requirement.line})`;
}

/** The requirements table: section, rule and line, needed, approved by, still needed from. */
export function buildApprovalTable(evaluation: ApprovalEvaluation): string {
  const rows = [
    '| | Section | Rule | Needed | Approved by | Still needed from |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of evaluation.requirements) {
    const status = r.satisfied ? '✅' : r.blockedBy.length > 0 || r.problems.length > 0 ? '❌' : '⏳';
    const section = r.line === null ? 'default rule' : r.section === null ? '(default section)' : escapeCell(r.section);
    const rule = r.line === null ? 'no policy file' : `${codeCell(r.pattern ?? '')} (line ${r.line})`;
    const approved = r.approvedBy.length > 0 ? r.approvedBy.map(codeCell).join(', ') : '—';
    const still: string[] = [];
    if (r.blockedBy.length > 0) still.push(`changes requested by ${r.blockedBy.map(codeCell).join(', ')}`);
    for (const problem of r.problems) still.push(escapeCell(problem));
    if (!r.satisfied && r.blockedBy.length === 0 && r.problems.length === 0) {
      still.push(r.line === null && r.owners.length === 0 ? r.stillNeededFrom.map(escapeCell).join(', ') : r.stillNeededFrom.map(codeCell).join(', '));
    }
    rows.push(`| ${status} | ${section} | ${rule} | ${r.needed} | ${approved} | ${still.filter((s) => s !== '').join('; ') || '—'} |`);
  }
  return rows.join('\n');
}

/** The whole check summary: errors (if any), the table, then notes. */
export function buildApprovalSummary(evaluation: ApprovalEvaluation): string {
  const parts: string[] = [formatApprovalStatusLine(evaluation)];
  if (evaluation.errors.length > 0) {
    parts.push(['**Policy errors**', '', ...evaluation.errors.map((e) => `- ${code(formatPolicyError(e))}`)].join('\n'));
  } else if (evaluation.requirements.length > 0) {
    parts.push(buildApprovalTable(evaluation));
  }
  if (evaluation.notes.length > 0) parts.push(evaluation.notes.map((n) => `- ${escapeText(n)}`).join('\n'));
  return parts.join('\n\n');
}

/** Backslash-escapes Markdown/HTML punctuation and flattens newlines; `@` is defused so it never mentions. */
export function escapeText(text: string): string {
  return text
    .replace(/\r?\n|\r/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_{}[\]()#+!|~]/g, '\\$&')
    .replace(/@/g, '@\u200b');
}

function escapeCell(text: string): string {
  return escapeText(text);
}

/** A code span whose fence is longer than any backtick run inside (CommonMark), on one line. */
function code(text: string): string {
  const flat = text.replace(/\r?\n|\r/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || flat === '' ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** Inside a table even a code span must escape `|` (GFM splits cells before parsing inlines). */
function codeCell(text: string): string {
  return code(text).replace(/\|/g, '\\|');
}
