/**
 * `infra-review owners --policy FILE PATH...`: which rule of each section owns each path, from the
 * same parser and matcher the app uses. One JSON line per path and section:
 *   {"path":"envs/prod/main.tf","section":null,"line":3,"owners":["@acme/platform"]}
 * `section` is null for the unnamed section (rules before any header), else the section name
 * (`Production`, `risk:high`). A section where no rule matches the path still gets a line, with
 * `"line": null` and `"owners": []`; a matching rule without owners gives its line and `[]`.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from './cli-error.js';

export interface OwnersLine {
  path: string;
  section: string | null;
  line: number | null;
  owners: string[];
}

export interface OwnersCommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: OwnersCommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export function registerOwnersCommand(program: Command, io: OwnersCommandIo = processIo): void {
  program
    .command('owners')
    .description('Print, for each path and section, the INFRAOWNERS rule that owns it (JSON lines).')
    .requiredOption('--policy <file>', 'the INFRAOWNERS (or CODEOWNERS) file')
    .argument('<paths...>', 'repository-relative paths')
    .action(async (paths: string[], options: { policy: string }) => {
      await runOwnersCommand(options.policy, paths, io);
    });
}

export async function runOwnersCommand(policyFile: string, paths: string[], io: OwnersCommandIo = processIo): Promise<void> {
  // The policy parser and matcher load when this command runs: the other commands start without them.
  const [{ normalizePath }, { matchOwners }, { formatPolicyError }, { parseOwnersPolicy }] = await Promise.all([
    import('../policy/compile-pattern.js'),
    import('../policy/match-owners.js'),
    import('../policy/owners-policy.js'),
    import('../policy/parse-owners-policy.js'),
  ]);
  let text: string;
  try {
    text = await readFile(policyFile, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CliError(`${policyFile}: cannot read the policy file: ${reason}`, 2);
  }

  const { policy, errors } = parseOwnersPolicy(text, policyFile);
  if (errors.length > 0) {
    io.stderr(errors.map((e) => `${formatPolicyError(e)}\n`).join(''));
    throw new CliError(`${policyFile}: invalid policy (${errors.length} error${errors.length === 1 ? '' : 's'})`, 2);
  }

  const out: string[] = [];
  for (const given of paths) {
    const path = normalizePath(given);
    for (const { section, rule } of matchOwners(policy, path)) {
      const line: OwnersLine = {
        path,
        section: section.name,
        line: rule?.line ?? null,
        owners: rule?.owners.map((o) => o.text) ?? [],
      };
      out.push(`${JSON.stringify(line)}\n`);
    }
  }
  io.stdout(out.join(''));
}
