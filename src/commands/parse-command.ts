/**
 * Slash-command parsing (pure). Only the first line of a PR comment is a command; the rest of the comment is ignored.
 *
 *   /plan     [-p PROJECT]...
 *   /apply    [-p PROJECT]...
 *   /rollback [-p PROJECT]... [--confirm]
 *   /unlock   [-p PROJECT]...
 *   /help
 */

export const COMMAND_NAMES = ['plan', 'apply', 'rollback', 'unlock', 'help'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface ParsedCommand {
  name: CommandName;
  /** Projects named with -p/--project, in order, without duplicates; empty means "every affected project". */
  projects: string[];
  /** `/rollback --confirm`: an owner confirms a rollback above rollback.max_risk. */
  confirm: boolean;
}

export type ParseResult =
  /** The comment is not addressed to us (no leading slash word): ignore it silently. */
  | { kind: 'none' }
  | { kind: 'command'; command: ParsedCommand }
  /** Looks like a command but is not a valid one: answer with the problem and the help text. */
  | { kind: 'invalid'; name?: string; problem: string };

const MAX_FIRST_LINE = 1_000;
const PROJECT_NAME = /^[A-Za-z0-9._\-/]{1,200}$/;
const PROJECT_NAME_PROBLEM = 'a project name may contain only letters, digits, `.`, `_`, `-` and `/`';

export function parseCommand(body: string): ParseResult {
  const firstLine = firstNonEmptyLine(body);
  if (!firstLine || !firstLine.startsWith('/')) return { kind: 'none' };
  // A path such as "/envs/prod is broken" or a lone "/" is prose, not a command.
  const match = /^\/([A-Za-z][A-Za-z-]*)(?=\s|$)(.*)$/.exec(firstLine);
  if (!match) return { kind: 'none' };
  const word = match[1]!.toLowerCase();
  if (firstLine.length > MAX_FIRST_LINE) {
    return { kind: 'invalid', name: word, problem: `the command line is longer than ${MAX_FIRST_LINE} characters` };
  }
  if (!isCommandName(word)) {
    return { kind: 'invalid', name: word, problem: `\`/${sanitizeArg(word)}\` is not a command` };
  }
  const args = (match[2] ?? '').trim().split(/\s+/).filter(Boolean);
  const projects: string[] = [];
  let confirm = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let value: string | undefined;
    if (arg === '-p' || arg === '--project') {
      value = args[i + 1];
      if (value === undefined || value.startsWith('-')) {
        return { kind: 'invalid', name: word, problem: `\`${arg}\` needs a project name` };
      }
      i++;
    } else if (arg.startsWith('--project=') || arg.startsWith('-p=')) {
      value = arg.slice(arg.indexOf('=') + 1);
    } else if (arg === '--confirm' && word === 'rollback') {
      confirm = true;
      continue;
    } else {
      return { kind: 'invalid', name: word, problem: `unknown argument \`${sanitizeArg(arg)}\` for \`/${word}\`` };
    }
    if (!PROJECT_NAME.test(value)) return { kind: 'invalid', name: word, problem: PROJECT_NAME_PROBLEM };
    if (!projects.includes(value)) projects.push(value);
  }
  if (word === 'help' && projects.length > 0) {
    return { kind: 'invalid', name: word, problem: '`/help` takes no arguments' };
  }
  return { kind: 'command', command: { name: word, projects, confirm } };
}

function isCommandName(word: string): word is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(word);
}

function firstNonEmptyLine(body: string): string | undefined {
  // Only the first line counts; leading blank lines are tolerated (GitHub's editor may add them).
  for (const line of body.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed) return trimmed;
  }
  return undefined;
}

/** Arguments are echoed back in the answer: keep them short and free of markdown that could break out. */
function sanitizeArg(arg: string): string {
  return arg.slice(0, 40).replace(/[`<>|\\]/g, '');
}
