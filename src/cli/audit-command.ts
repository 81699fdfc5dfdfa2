/**
 * `infra-review audit --repo OWNER/NAME [--pr N] [--limit N] [--format table|json]`: the newest `limit`
 * (default 50) audit events of a repository (or one PR), printed oldest first. `--format json` prints one
 * JSON line per event: {"id","at","repo","pr","actor","action","project","workspace","reason","details"}.
 */
import type { Command } from 'commander';
import type { AuditEvent } from '../store/store.js';
import { CliError } from './cli-error.js';
import { formatTable } from './format-table.js';
import type { StoreCommandIo } from './locks-command.js';
import { processStoreIo } from './locks-command.js';
import { parseFormatOption, parsePositiveIntegerOption, parseRepoOption } from './parse-cli-options.js';
import type { OutputFormat } from './parse-cli-options.js';
import { withCliStore } from './with-cli-store.js';

export const DEFAULT_AUDIT_LIMIT = 50;

export function registerAuditCommand(program: Command, io: StoreCommandIo = processStoreIo): void {
  program
    .command('audit')
    .description('Print the newest audit events (commands and decisions with their reasons) of a repository.')
    .option('--repo <owner/name>', 'the repository (required)')
    .option('--pr <number>', 'only events of this pull request')
    .option('--limit <number>', `how many of the newest events (default ${DEFAULT_AUDIT_LIMIT})`)
    .option('--format <format>', 'table or json (JSON lines)', 'table')
    .action(async (options: { repo?: string; pr?: string; limit?: string; format: string }) => {
      if (options.repo === undefined) throw new CliError('audit: --repo OWNER/NAME is required', 2);
      const repo = parseRepoOption(options.repo);
      const pr = options.pr === undefined ? undefined : parsePositiveIntegerOption('--pr', options.pr);
      const limit = options.limit === undefined ? DEFAULT_AUDIT_LIMIT : parsePositiveIntegerOption('--limit', options.limit);
      const format = parseFormatOption(options.format);
      const events = await withCliStore(io.env, (store) => store.listAudit({ repo, ...(pr === undefined ? {} : { pr }), limit }));
      io.stdout(formatAudit(events, format));
    });
}

export function formatAudit(events: readonly AuditEvent[], format: OutputFormat): string {
  if (format === 'json') {
    return events
      .map(
        (e) =>
          `${JSON.stringify({ id: e.id, at: e.at.toISOString(), repo: e.repo, pr: e.pr, actor: e.actor, action: e.action, project: e.project, workspace: e.workspace, reason: e.reason, details: e.details })}\n`,
      )
      .join('');
  }
  if (events.length === 0) return 'no audit events\n';
  return formatTable(
    ['AT', 'PR', 'ACTOR', 'ACTION', 'PROJECT', 'REASON'],
    events.map((e) => [
      e.at.toISOString(),
      e.pr === null ? '-' : `#${e.pr}`,
      e.actor,
      e.action,
      e.project === null ? '-' : e.workspace && e.workspace !== 'default' ? `${e.project} (${e.workspace})` : e.project,
      e.reason ?? '',
    ]),
  );
}
