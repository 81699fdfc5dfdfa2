import type { CommandName } from './parse-command.js';

import { permissionAtLeast, type PermissionLevel } from '../policy/repository-permission.js';

export { permissionAtLeast, type PermissionLevel };

/** Commands that change infrastructure or state need write access; the rest need only the right to comment. */
const NEEDS_WRITE: ReadonlySet<CommandName> = new Set(['apply', 'rollback', 'unlock']);

export interface AuthorizeInput {
  command: CommandName;
  actor: string;
  /** The actor's permission on the repository (404 from GitHub means 'none'). */
  permission: PermissionLevel;
  /** Config narrowing: `apply.allowed` / `rollback.allowed` / `plan.allowed` entries (`@user`, `@org/team`); empty = no narrowing. */
  allowed: string[];
  /** Members of a team, for `@org/team` entries; [] when the team is unknown (fail closed). */
  teamMembers: (org: string, slug: string) => Promise<string[]>;
  /** The PR comes from a fork and the actor is its author: they may never apply or roll back their own fork PR. */
  actorIsForkAuthor: boolean;
}

export type Authorization = { allowed: true } | { allowed: false; reason: string };

export async function authorizeCommand(input: AuthorizeInput): Promise<Authorization> {
  const { command, actor } = input;
  if (command === 'help') return { allowed: true };
  if (NEEDS_WRITE.has(command)) {
    if (!permissionAtLeast(input.permission, 'write')) {
      return {
        allowed: false,
        reason: `@${actor} has ${input.permission === 'none' ? 'no' : `only ${input.permission}`} access to this repository; \`/${command}\` needs write access or above.`,
      };
    }
    if (input.actorIsForkAuthor && command !== 'unlock') {
      return { allowed: false, reason: `@${actor} opened this PR from a fork; the author of a fork PR cannot \`/${command}\` it.` };
    }
  }
  if (input.allowed.length === 0) return { allowed: true };
  const login = actor.toLowerCase();
  for (const entry of input.allowed) {
    const owner = entry.replace(/^@/, '');
    const slash = owner.indexOf('/');
    if (slash === -1) {
      if (owner.toLowerCase() === login) return { allowed: true };
      continue;
    }
    const members = await input.teamMembers(owner.slice(0, slash), owner.slice(slash + 1));
    if (members.some((member) => member.toLowerCase() === login)) return { allowed: true };
  }
  return {
    allowed: false,
    reason: `\`/${command}\` is limited by the repository's config to ${input.allowed.map((e) => `\`${e}\``).join(', ')}; @${actor} is not among them.`,
  };
}
