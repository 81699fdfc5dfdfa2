/**
 * `infra-review locks [--repo OWNER/NAME] [--pr N] [--format table|json]`: the project locks held now,
 * read from the store the server uses (DATA_DIR / DATABASE_URL). `--format json` prints one JSON line per
 * lock: {"repo","project","workspace","pr","holder","since"} (since: ISO 8601).
 */
import type { Command } from 'commander';
import type { LockRecord } from '../store/store.js';
import { formatTable } from './format-table.js';
import { parseFormatOption, parsePositiveIntegerOption, parseRepoOption } from './parse-cli-options.js';
import type { OutputFormat } from './parse-cli-options.js';
import { withCliStore } from './with-cli-store.js';

export interface StoreCommandIo {
  stdout: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export const processStoreIo: StoreCommandIo = {
  stdout: (text) => process.stdout.write(text),
  get env() {
    return process.env;
  },
};

export function registerLocksCommand(program: Command, io: StoreCommandIo = processStoreIo): void {
  program
    .command('locks')
    .description('List the project locks held now (from the store at DATA_DIR or DATABASE_URL).')
    .option('--repo <owner/name>', 'only locks of this repository')
    .option('--pr <number>', 'only locks held by this pull request')
    .option('--format <format>', 'table or json (JSON lines)', 'table')
    .action(async (options: { repo?: string; pr?: string; format: string }) => {
      const filter: { repo?: string; pr?: number } = {};
      if (options.repo !== undefined) filter.repo = parseRepoOption(options.repo);
      if (options.pr !== undefined) filter.pr = parsePositiveIntegerOption('--pr', options.pr);
      const format = parseFormatOption(options.format);
      const locks = await withCliStore(io.env, (store) => store.listLocks(filter));
      io.stdout(formatLocks(locks, format));
    });
}

export function formatLocks(locks: readonly LockRecord[], format: OutputFormat): string {
  if (format === 'json') {
    return locks
      .map((lock) => `${JSON.stringify({ repo: lock.repo, project: lock.project, workspace: lock.workspace, pr: lock.pr, holder: lock.holder, since: lock.since.toISOString() })}\n`)
      .join('');
  }
  if (locks.length === 0) return 'no locks held\n';
  return formatTable(
    ['REPO', 'PROJECT', 'WORKSPACE', 'PR', 'HOLDER', 'SINCE'],
    locks.map((lock) => [lock.repo, lock.project, lock.workspace, `#${lock.pr}`, lock.holder, lock.since.toISOString()]),
  );
}
