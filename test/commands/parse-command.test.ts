import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/parse-command.js';

describe('parseCommand', () => {
  it.each([
    ['/plan', { name: 'plan', projects: [], confirm: false }],
    ['/apply', { name: 'apply', projects: [], confirm: false }],
    ['/apply -p network', { name: 'apply', projects: ['network'], confirm: false }],
    ['/apply -p network -p envs/prod', { name: 'apply', projects: ['network', 'envs/prod'], confirm: false }],
    ['/apply --project=network --project network', { name: 'apply', projects: ['network'], confirm: false }],
    ['/rollback -p db --confirm', { name: 'rollback', projects: ['db'], confirm: true }],
    ['/unlock', { name: 'unlock', projects: [], confirm: false }],
    ['/help', { name: 'help', projects: [], confirm: false }],
    ['/APPLY -p x', { name: 'apply', projects: ['x'], confirm: false }],
    ['  /plan   -p   a  ', { name: 'plan', projects: ['a'], confirm: false }],
    ['\n\n/plan', { name: 'plan', projects: [], confirm: false }],
  ])('parses %j', (body, command) => {
    expect(parseCommand(body)).toEqual({ kind: 'command', command });
  });

  it('reads only the first line', () => {
    expect(parseCommand('/plan -p a\n/apply -p b')).toEqual({
      kind: 'command',
      command: { name: 'plan', projects: ['a'], confirm: false },
    });
    expect(parseCommand('LGTM\n/apply')).toEqual({ kind: 'none' });
  });

  it.each(['', 'looks good', 'see /apply below', '/', '/envs/prod is broken', '// comment', '/ apply'])(
    'ignores %j',
    (body) => {
      expect(parseCommand(body)).toEqual({ kind: 'none' });
    },
  );

  it.each([
    ['/deploy', /`\/deploy` is not a command/],
    ['/apply -p', /`-p` needs a project name/],
    ['/apply -p --confirm', /`-p` needs a project name/],
    ['/apply --confirm', /unknown argument `--confirm` for `\/apply`/],
    ['/apply -x', /unknown argument `-x`/],
    ['/apply -p `rm -rf`', /project name may contain only/],
    ['/help -p a', /takes no arguments/],
  ])('rejects %j with a reason', (body, problem) => {
    const result = parseCommand(body);
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(result.problem).toMatch(problem);
  });

  it('rejects an absurdly long first line without echoing it', () => {
    const result = parseCommand(`/apply ${'-p a '.repeat(500)}`);
    expect(result).toMatchObject({ kind: 'invalid', name: 'apply' });
  });

  it('never echoes markdown-breaking characters from arguments', () => {
    const result = parseCommand('/apply <script>|`x`');
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(result.problem).not.toMatch(/<script>/);
  });
});
