import { describe, expect, it } from 'vitest';
import { authorizeCommand, permissionAtLeast, type AuthorizeInput } from '../../src/commands/authorize-command.js';

const teams: Record<string, string[]> = { 'acme/sre': ['Alice', 'bob'] };
const base: AuthorizeInput = {
  command: 'apply',
  actor: 'alice',
  permission: 'write',
  allowed: [],
  teamMembers: async (org, slug) => teams[`${org}/${slug}`.toLowerCase()] ?? [],
  actorIsForkAuthor: false,
};

describe('authorizeCommand', () => {
  it('orders permissions', () => {
    expect(permissionAtLeast('admin', 'write')).toBe(true);
    expect(permissionAtLeast('maintain', 'write')).toBe(true);
    expect(permissionAtLeast('triage', 'write')).toBe(false);
    expect(permissionAtLeast('none', 'read')).toBe(false);
  });

  it.each(['apply', 'rollback', 'unlock'] as const)('requires write for /%s', async (command) => {
    expect(await authorizeCommand({ ...base, command, permission: 'write' })).toEqual({ allowed: true });
    const read = await authorizeCommand({ ...base, command, permission: 'read' });
    expect(read).toMatchObject({ allowed: false });
    if (!read.allowed) expect(read.reason).toContain('only read access');
    const none = await authorizeCommand({ ...base, command, permission: 'none' });
    if (!none.allowed) expect(none.reason).toContain('no access');
    expect(none.allowed).toBe(false);
  });

  it('lets anyone who may comment run /plan and /help', async () => {
    expect(await authorizeCommand({ ...base, command: 'plan', permission: 'read' })).toEqual({ allowed: true });
    expect(await authorizeCommand({ ...base, command: 'help', permission: 'none' })).toEqual({ allowed: true });
  });

  it('never lets a fork author apply or roll back their own PR', async () => {
    const result = await authorizeCommand({ ...base, permission: 'admin', actorIsForkAuthor: true });
    expect(result.allowed).toBe(false);
    expect(await authorizeCommand({ ...base, command: 'rollback', actorIsForkAuthor: true })).toMatchObject({ allowed: false });
  });

  it('narrows by users and teams from config, case-insensitively', async () => {
    expect(await authorizeCommand({ ...base, allowed: ['@ALICE'] })).toEqual({ allowed: true });
    expect(await authorizeCommand({ ...base, actor: 'bob', allowed: ['@acme/SRE'] })).toEqual({ allowed: true });
    const refused = await authorizeCommand({ ...base, actor: 'carol', allowed: ['@alice', '@acme/sre'] });
    expect(refused.allowed).toBe(false);
    if (!refused.allowed) expect(refused.reason).toContain('`@acme/sre`');
  });

  it('fails closed when a team cannot be resolved', async () => {
    expect(await authorizeCommand({ ...base, allowed: ['@acme/ghosts'] })).toMatchObject({ allowed: false });
  });

  it('checks write access before the allow list', async () => {
    const result = await authorizeCommand({ ...base, permission: 'read', allowed: ['@alice'] });
    expect(result.allowed).toBe(false);
  });
});
