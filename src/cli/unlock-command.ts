/**
 * `infra-review unlock --repo OWNER/NAME --project P [--workspace W] [--actor LOGIN]`: an operator
 * releases a project lock whatever PR holds it (a PR that cannot be closed, a stuck apply). The release
 * is recorded in the audit trail as `lock:force-released`, with the actor (`--actor`, else `$USER`) and
 * the PR that held the lock.
 */
import type { Command } from 'commander';
import { CliError } from './cli-error.js';
import type { StoreCommandIo } from './locks-command.js';
import { processStoreIo } from './locks-command.js';
import { parseNameOption, parseRepoOption } from './parse-cli-options.js';
import { withCliStore } from './with-cli-store.js';

export function registerUnlockCommand(program: Command, io: StoreCommandIo = processStoreIo): void {
  program
    .command('unlock')
    .description('Release a project lock held by any pull request (operators); recorded in the audit trail.')
    .option('--repo <owner/name>', 'the repository (required)')
    .option('--project <name>', 'the project (required)')
    .option('--workspace <name>', 'the workspace', 'default')
    .option('--actor <login>', 'who releases it, for the audit trail (default: $USER)')
    .action(async (options: { repo?: string; project?: string; workspace: string; actor?: string }) => {
      if (options.repo === undefined) throw new CliError('unlock: --repo OWNER/NAME is required', 2);
      if (options.project === undefined) throw new CliError('unlock: --project NAME is required', 2);
      const repo = parseRepoOption(options.repo);
      const project = parseNameOption('--project', options.project);
      const workspace = parseNameOption('--workspace', options.workspace);
      const actorText = options.actor ?? io.env.USER;
      if (actorText === undefined || actorText.trim() === '') throw new CliError('unlock: say who you are with --actor LOGIN ($USER is not set)', 2);
      const actor = parseNameOption('--actor', actorText);

      const key = { repo, project, workspace };
      const message = await withCliStore(io.env, async (store) => {
        const held = await store.getLock(key);
        if (!held) return `no lock held on ${describe(key)}\n`;
        const released = await store.releaseLock({ ...key, force: true });
        // Between the read and the delete the holder may have released it itself: then nothing was forced.
        if (!released) return `no lock held on ${describe(key)}\n`;
        await store.audit({
          repo,
          pr: held.pr,
          actor,
          action: 'lock:force-released',
          project,
          workspace,
          reason: `released by an operator from the command line; held by #${held.pr} (${held.holder}) since ${held.since.toISOString()}`,
          details: { heldByPr: held.pr, holder: held.holder, since: held.since.toISOString() },
        });
        return `released the lock on ${describe(key)} held by #${held.pr} (${held.holder})\n`;
      });
      io.stdout(message);
    });
}

function describe(key: { repo: string; project: string; workspace: string }): string {
  return `${key.repo} ${key.project}${key.workspace === 'default' ? '' : ` (${key.workspace})`}`;
}
