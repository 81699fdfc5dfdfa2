import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { registerAuditCommand } from './audit-command.js';
import { registerLocksCommand } from './locks-command.js';
import { registerOwnersCommand } from './owners-command.js';
import { registerRenderCommand } from './render-command.js';
import { registerUnlockCommand } from './unlock-command.js';

/**
 * The `infra-review` command line. Exit status: 0 success, 1 analysis failure, 2 bad input.
 * Each subcommand lives in its own file and registers itself here.
 */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('infra-review')
    .description('Analyse Terraform/OpenTofu plans and INFRAOWNERS policies the way the infra-review app does.')
    .exitOverride()
    .showHelpAfterError();
  registerOwnersCommand(program);
  registerRenderCommand(program);
  registerLocksCommand(program);
  registerAuditCommand(program);
  registerUnlockCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`infra-review: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof CommanderError) {
      // help and version exit 0; usage errors are bad input
      return error.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`infra-review: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`);
    return 1;
  }
}
