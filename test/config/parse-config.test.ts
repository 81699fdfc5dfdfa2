import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../src/config/config-error.js';
import { formatConfigError } from '../../src/config/config-error.js';
import type { InfraReviewConfig } from '../../src/config/config-schema.js';
import { defaultConfig, parseConfig } from '../../src/config/parse-config.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = (name: string) => readFileSync(path.join(REPO_ROOT, 'test/fixtures/configs', name), 'utf8');

function ok(text: string | null): InfraReviewConfig {
  const result = parseConfig(text);
  if (!('config' in result)) throw new Error(`expected a valid config, got ${result.errors.map(formatConfigError).join('\n')}`);
  return result.config;
}

function errors(text: string): ConfigError[] {
  const result = parseConfig(text);
  if (!('errors' in result)) throw new Error('expected errors');
  return result.errors;
}

/** The documented defaults (README "Configuration reference"). */
const DEFAULTS: InfraReviewConfig = {
  version: 1,
  projects: [],
  autodetect: { enabled: true, ignore: [] },
  workflows: {
    default: {
      plan: [
        { step: 'init', extra_args: [] },
        { step: 'plan', extra_args: [] },
        { step: 'show', extra_args: [] },
      ],
      apply: [{ step: 'apply', extra_args: [] }],
      env: [],
    },
  },
  apply: {
    requirements: { plan_current: true, undiverged: true, approved: true, plan_succeeded: true, pr_open: true, locked: true, plan_unchanged: true },
    automerge: false,
    merge_method: 'merge',
    allowed: [],
  },
  rollback: { enabled: true, max_risk: 'high', on_failure: false, allowed: [] },
  risk: { many_changes_threshold: 25, rules: [] },
  approvals: { carry_over: false, use_codeowners: false, default: { count: 1, from: 'write' } },
  comments: { collapse_details: true, show_unchanged: false },
  forks: { allow: false },
  drafts: { plan: false },
  timeouts: { init: 600_000, plan: 1_800_000, apply: 3_600_000, run: 600_000 },
};

describe('parseConfig: defaults', () => {
  it('a missing file gives every default', () => {
    expect(ok(null)).toEqual(DEFAULTS);
    expect(defaultConfig()).toEqual(DEFAULTS);
  });

  it('an empty file, or one with only comments, gives every default', () => {
    expect(ok('')).toEqual(DEFAULTS);
    expect(ok('# nothing yet\n')).toEqual(DEFAULTS);
  });

  it('empty sections fill in their defaults', () => {
    expect(ok('apply: {}\nrollback: {}\ntimeouts: {}\ncomments: {}\nforks: {}\ndrafts: {}\nautodetect: {}\napprovals: {}\nrisk: {}\n')).toEqual(DEFAULTS);
  });

  it('a project gets the documented defaults', () => {
    expect(ok('projects:\n  - dir: envs/prod\n').projects).toEqual([
      {
        name: 'envs/prod',
        dir: 'envs/prod',
        workspace: 'default',
        when_modified: ['**/*.tf', '**/*.tf.json', '**/*.tofu', '**/*.tfvars', '**/*.tfvars.json', '.terraform.lock.hcl'],
        workflow: 'default',
        var_files: [],
        autoplan: true,
      },
    ]);
  });

  it('returns fresh objects: changing one result does not change the next', () => {
    const first = defaultConfig();
    first.workflows.default!.plan.push({ step: 'run', run: 'x' });
    first.autodetect.ignore.push('x');
    expect(defaultConfig()).toEqual(DEFAULTS);
  });
});

describe('parseConfig: values', () => {
  it('reads every key of a full config', () => {
    const config = ok(fixture('full.yml'));
    expect(config.projects).toEqual([
      { name: 'prod', dir: 'envs/prod', workspace: 'blue', when_modified: ['*.tf', '../../modules/**'], tool: 'tofu', workflow: 'careful', var_files: ['prod.tfvars'], autoplan: false },
    ]);
    expect(config.autodetect).toEqual({ enabled: false, ignore: ['examples/**'] });
    expect(config.workflows.careful).toEqual({
      plan: [
        { step: 'init', extra_args: ['-upgrade'] },
        { step: 'plan', extra_args: ['-lock-timeout=5m'] },
        { step: 'show', extra_args: [] },
        { step: 'run', run: './scripts/check.sh' },
      ],
      apply: [{ step: 'apply', extra_args: ['-parallelism=5'] }],
      env: [
        { name: 'TF_IN_AUTOMATION', value: '1' },
        { name: 'TF_LOG', from_env: 'INFRA_TF_LOG' },
      ],
    });
    expect(config.workflows.default).toEqual(DEFAULTS.workflows.default);
    expect(config.apply).toEqual({
      requirements: { plan_current: false, undiverged: false, approved: false, plan_succeeded: false, pr_open: false, locked: false, plan_unchanged: false },
      automerge: true,
      merge_method: 'squash',
      allowed: ['@alice', '@acme/sre'],
    });
    expect(config.rollback).toEqual({ enabled: false, max_risk: 'medium', on_failure: true, allowed: ['@acme/sre'] });
    expect(config.risk).toEqual({ many_changes_threshold: 50, rules: [{ type: 'aws_db_*', actions: ['delete'], level: 'critical', reason: 'databases hold data' }] });
    expect(config.approvals).toEqual({ carry_over: true, use_codeowners: true, default: { count: 2, from: ['@acme/platform'] } });
    expect(config.comments).toEqual({ collapse_details: false, show_unchanged: true, max_diff_lines: 500 });
    expect(config.forks).toEqual({ allow: true });
    expect(config.drafts).toEqual({ plan: true });
    expect(config.timeouts).toEqual({ init: 90_000, plan: 5_400_000, apply: 7_200_000, run: 300_000 });
  });

  it('normalises project dirs and names projects outside the default workspace dir:workspace', () => {
    const config = ok('projects:\n  - dir: ./envs/prod/\n  - dir: envs/prod\n    workspace: eu\n  - dir: .\n');
    expect(config.projects.map((p) => [p.name, p.dir])).toEqual([
      ['envs/prod', 'envs/prod'],
      ['envs/prod:eu', 'envs/prod'],
      ['.', '.'],
    ]);
  });

  it('accepts env as a list of {name, value} and {name, from_env}', () => {
    const config = ok('workflows:\n  w:\n    env:\n      - {name: A, value: 1}\n      - {name: B, from_env: C}\n');
    expect(config.workflows.w!.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', from_env: 'C' },
    ]);
    expect(config.workflows.w!.plan).toEqual(DEFAULTS.workflows.default!.plan);
  });

  it('lets a config replace the default workflow', () => {
    const config = ok('workflows:\n  default:\n    plan: [init, plan]\n');
    expect(config.workflows.default!.plan.map((s) => s.step)).toEqual(['init', 'plan']);
  });

  it('accepts a $schema key for editors', () => {
    expect(ok('$schema: ../schema/infra-review.schema.json\n').version).toBe(1);
  });
});

describe('parseConfig: errors', () => {
  it('reports every problem at once, each with its YAML path, line and column', () => {
    const found = errors(fixture('many-errors.yml'));
    expect(found.map((e) => [e.path, e.line, e.column])).toEqual([
      ['version', 1, 10],
      ['projects[0].autplan', 4, 5],
      ['projects[0].workflow', 5, 15],
      ['projects[1]', 6, 5],
      ['projects[1].when_modified[0]', 7, 21],
      ['autodetect.enabled', 9, 12],
      ['timeouts.plan', 11, 9],
      ['comments.collapse_detail', 12, 12],
    ]);
    for (const error of found) expect(error.file).toBe('.github/infra-review.yml');
    const byPath = Object.fromEntries(found.map((e) => [e.path, e.message]));
    expect(byPath.version).toBe('expected 1, got number 2');
    expect(byPath['projects[0].autplan']).toBe('unknown key "autplan"; did you mean "autoplan"?');
    expect(byPath['projects[0].workflow']).toBe('workflow "missing" is not defined under workflows (known: default)');
    expect(byPath['projects[1]']).toBe('required key "dir" is missing');
    expect(byPath['projects[1].when_modified[0]']).toMatch(/^invalid glob "\[abc"/);
    expect(byPath['autodetect.enabled']).toBe('expected a boolean, got "yes please"');
    expect(byPath['timeouts.plan']).toBe('expected a duration such as "90s", "10m" or "1h"');
    expect(byPath['comments.collapse_detail']).toBe('unknown key "collapse_detail"; did you mean "collapse_details"?');
  });

  it('uses the file name it is given', () => {
    const result = parseConfig('forks: {allow: 1}\n', 'config/infra.yml');
    expect(result).toEqual({ errors: [{ file: 'config/infra.yml', path: 'forks.allow', line: 1, column: 16, message: 'expected a boolean, got number 1' }] });
    if ('errors' in result) expect(formatConfigError(result.errors[0]!)).toBe('config/infra.yml:1:16: forks.allow: expected a boolean, got number 1');
  });

  it('reports YAML syntax errors with their lines, all of them', () => {
    const found = errors('projects:\n  - dir: a\n    x: [1\nforks: : b\n');
    expect(found.length).toBeGreaterThanOrEqual(2);
    for (const error of found) {
      expect(error.path).toBe('');
      expect(error.line).toBeGreaterThanOrEqual(3);
    }
  });

  it('reports a duplicate key', () => {
    expect(errors('forks: {}\ndrafts: {}\nforks: {}\n')).toMatchObject([{ line: 3, column: 1, message: expect.stringMatching(/unique/) }]);
  });

  it('lists the allowed keys when an unknown key is not close to any', () => {
    const [error] = errors('drafts:\n  banana: true\n');
    expect(error).toMatchObject({ path: 'drafts.banana', line: 2, column: 3, message: 'unknown key "banana" (allowed: plan)' });
  });

  it('rejects a document that is not a map', () => {
    expect(errors('- a\n- b\n')).toMatchObject([{ path: '', line: 1, message: 'expected a map, got a list' }]);
  });

  it('rejects invalid globs: unbalanced, absolute, negated, empty, escaping the repository', () => {
    const found = errors(
      ['autodetect:', '  ignore: ["{a,b", "/abs/**", "!keep", ""]', 'projects:', '  - dir: envs/prod', '    when_modified: ["../../../outside/**"]', ''].join('\n'),
    );
    expect(found.map((e) => [e.path, e.line, e.column])).toEqual([
      ['autodetect.ignore[0]', 2, 12],
      ['autodetect.ignore[1]', 2, 20],
      ['autodetect.ignore[2]', 2, 31],
      ['autodetect.ignore[3]', 2, 40],
      ['projects[0].when_modified[0]', 5, 21],
    ]);
    expect(found[4]!.message).toBe('glob "../../../outside/**" points outside the repository');
  });

  it('rejects project dirs and var files outside the repository', () => {
    const found = errors('projects:\n  - dir: ../elsewhere\n  - dir: /etc\n  - dir: a\n    var_files: [../../x.tfvars, /etc/passwd]\n');
    expect(found.map((e) => e.path)).toEqual(['projects[0].dir', 'projects[1].dir', 'projects[2].var_files[0]', 'projects[2].var_files[1]']);
  });

  it('rejects duplicate project names and duplicate dir + workspace', () => {
    const found = errors('projects:\n  - {name: a, dir: x}\n  - {name: a, dir: y}\n  - {name: b, dir: x}\n');
    expect(found.map((e) => [e.path, e.message])).toEqual([
      ['projects[1].name', 'project name "a" is already used by projects[0]'],
      ['projects[2].dir', 'dir "x" with workspace "default" is already projects[0]'],
    ]);
  });

  it('explains bad workflow steps', () => {
    const found = errors('workflows:\n  w:\n    plan:\n      - bogus\n      - {plan: {extra_args: "-x"}}\n      - {run: ls, plan: {}}\n      - {destroy: {}}\n');
    expect(found.map((e) => [e.path, e.line, e.message])).toEqual([
      ['workflows.w.plan[0]', 4, 'expected "init", "plan", "show", "apply", or a map; got "bogus"'],
      ['workflows.w.plan[1].plan.extra_args', 5, 'expected a list, got "-x"'],
      ['workflows.w.plan[2]', 6, 'a step has exactly one key (init, plan, apply or run); found plan, run'],
      ['workflows.w.plan[3]', 7, 'a step has exactly one key (init, plan, apply or run); found none'],
      ['workflows.w.plan[3].destroy', 7, 'unknown key "destroy" (allowed: apply, init, plan, run)'],
    ]);
  });

  it('locates errors inside the risk and approvals sections composed from plan/ and policy/', () => {
    const found = errors('risk:\n  rules:\n    - {type: "aws_*", level: hihg, reason: r, action: [delete]}\napprovals:\n  default: {count: 0}\n');
    expect(found.map((e) => [e.path, e.line, e.message])).toEqual([
      ['risk.rules[0].level', 3, 'expected one of "none", "low", "medium", "high", "critical", got "hihg"; did you mean "high"?'],
      ['risk.rules[0].action', 3, 'unknown key "action"; did you mean "actions"?'],
      ['approvals.default.count', 5, expect.stringMatching(/>=1|at least|too small/i)],
    ]);
  });

  it('refuses to pass the app\'s own credentials to workflows', () => {
    const [error] = errors('workflows:\n  w:\n    env:\n      KEY: {from_env: PRIVATE_KEY}\n');
    expect(error).toMatchObject({ path: 'workflows.w.env.KEY.from_env', line: 4, message: expect.stringMatching(/credentials/) });
  });

  it('rejects bad owners, risk levels, durations and numbers', () => {
    const found = errors('apply:\n  allowed: [alice]\nrollback:\n  max_risk: hihg\ntimeouts:\n  init: 0s\ncomments:\n  max_diff_lines: -5\ntool: x\n');
    expect(found.map((e) => [e.path, e.message])).toEqual([
      ['apply.allowed[0]', 'expected "@user" or "@org/team"'],
      ['rollback.max_risk', 'expected one of "none", "low", "medium", "high", "critical", got "hihg"; did you mean "high"?'],
      ['timeouts.init', 'a timeout must be longer than zero'],
      ['comments.max_diff_lines', expect.stringMatching(/>0|positive|greater/i)],
      ['tool', expect.stringMatching(/^unknown key "tool"/)],
    ]);
  });
});

describe('README "Configuration reference"', () => {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration reference'));

  it('has a valid example', () => {
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toBeDefined();
    expect(ok(example!).projects[0]).toMatchObject({ name: 'prod', workflow: 'careful' });
  });

  it('documents every key the schema knows', () => {
    const keys: string[] = [];
    const walk = (prefix: string, value: unknown) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
      for (const [key, inner] of Object.entries(value)) {
        if (prefix === 'workflows') continue;
        const full = prefix ? `${prefix}.${key}` : key;
        // Sections (maps) are documented through their keys.
        if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) walk(full, inner);
        else keys.push(full);
      }
    };
    walk('', ok(fixture('full.yml')));
    const projectKeys = Object.keys(ok(fixture('full.yml')).projects[0]!).map((key) => `projects[].${key}`);
    const workflowKeys = ['plan', 'apply', 'env'].map((key) => `workflows.<name>.${key}`);
    for (const key of [...keys, ...projectKeys, ...workflowKeys]) {
      expect(section, key).toContain(`| \`${key}\``);
    }
  });
});
