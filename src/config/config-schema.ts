/**
 * The schema of `.github/infra-review.yml`. The zod schema is the single source of truth:
 * parsing, defaults, the TypeScript type and the published JSON Schema all come from it.
 */
import * as z from 'zod';
import { RISK_LEVELS } from '../plan/analysis.js';
import { riskConfigSchema } from '../plan/risk-config.js';
import { approvalsConfigSchema } from '../policy/approvals-config.js';
import { parseDuration } from './duration.js';
import { escapesRepository, globProblem, normaliseDir, resolveFromDir } from './glob-pattern.js';

export const CONFIG_FILE = '.github/infra-review.yml';

/** What a project plans on when the config names no `when_modified`: the usual Terraform/OpenTofu inputs. */
export const DEFAULT_WHEN_MODIFIED = ['**/*.tf', '**/*.tf.json', '**/*.tofu', '**/*.tfvars', '**/*.tfvars.json', '.terraform.lock.hcl'] as const;

export const DEFAULT_WORKFLOW_NAME = 'default';

/** `@user` or `@org/team`, as in INFRAOWNERS. */
const OWNER_PATTERN = /^@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\/[A-Za-z0-9][A-Za-z0-9_.-]*)?$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PROJECT_NAME_PATTERN = /^[A-Za-z0-9_./:@-]+$/;
const WORKSPACE_PATTERN = /^[A-Za-z0-9_.-]+$/;

/**
 * Server variables that are the app's own credentials. A workflow could otherwise hand them to
 * a `run` step or a provider, so `from_env` refuses them (fail closed).
 */
export const RESERVED_SERVER_ENV = ['PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_SECRET', 'GITHUB_CLIENT_SECRET', 'DATABASE_URL', 'APP_ID', 'GITHUB_TOKEN'] as const;

const glob = z
  .string()
  .superRefine((value, ctx) => {
    const problem = globProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ description: 'A glob (picomatch syntax, `/` separators).' });

const owner = z.string().regex(OWNER_PATTERN, { error: 'expected "@user" or "@org/team"' });

const duration = (fallback: string, what: string) =>
  z
    .string()
    .regex(/^(?:\d+(?:ms|s|m|h))+$/, { error: 'expected a duration such as "90s", "10m" or "1h"' })
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: 'a timeout must be longer than zero' });
        return z.NEVER;
      }
      return ms;
    })
    .prefault(fallback)
    .meta({ description: `${what}. A duration such as "90s", "10m", "1h"; parsed to milliseconds. Default "${fallback}".` });

// ---- workflows ---------------------------------------------------------------------------

const stepOptions = z.strictObject({
  extra_args: z.array(z.string()).default([]).meta({ description: 'Extra arguments appended to the command.' }),
});

const BUILTIN_STEPS = ['init', 'plan', 'show', 'apply'] as const;
export type BuiltinStep = (typeof BUILTIN_STEPS)[number];

/** A normalised workflow step. */
export type WorkflowStep = { step: BuiltinStep; extra_args: string[] } | { step: 'run'; run: string };

const stepObject = z
  .strictObject({
    init: stepOptions.optional(),
    plan: stepOptions.optional(),
    apply: stepOptions.optional(),
    run: z.string().min(1, { error: 'a run step needs a command' }).optional().meta({ description: 'A shell command run in the project directory.' }),
  })
  .superRefine((value, ctx) => {
    const keys = Object.keys(value);
    if (keys.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `a step has exactly one key (init, plan, apply or run); found ${keys.length === 0 ? 'none' : keys.join(', ')}` });
    }
  })
  .meta({ minProperties: 1, maxProperties: 1 });

const step = z
  .union([z.enum(BUILTIN_STEPS), stepObject])
  .transform((value): WorkflowStep => {
    if (typeof value === 'string') return { step: value, extra_args: [] };
    if (value.run !== undefined) return { step: 'run', run: value.run };
    const name = (['init', 'plan', 'apply'] as const).find((key) => value[key] !== undefined) ?? 'plan';
    return { step: name, extra_args: value[name]?.extra_args ?? [] };
  })
  .meta({ description: '`init`, `plan`, `show`, `apply`, `{init|plan|apply: {extra_args: [...]}}` or `{run: "<command>"}`.' });

/** A normalised environment variable for a workflow: a literal value or a server variable passed through. */
export type WorkflowEnv = { name: string; value: string } | { name: string; from_env: string };

const fromEnv = z
  .strictObject({
    from_env: z
      .string()
      .regex(ENV_NAME_PATTERN, { error: 'expected an environment variable name' })
      .refine((name) => !(RESERVED_SERVER_ENV as readonly string[]).includes(name), {
        error: `this variable holds the app's own credentials and cannot be passed to workflows (reserved: ${RESERVED_SERVER_ENV.join(', ')})`,
      }),
  })
  .meta({ description: 'Pass the value of this server environment variable through.' });

const envValue = z.union([z.string(), z.number(), z.boolean(), fromEnv]);

const envName = z.string().regex(ENV_NAME_PATTERN, { error: 'expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)' });

function toEnv(name: string, value: z.output<typeof envValue>): WorkflowEnv {
  return typeof value === 'object' ? { name, from_env: value.from_env } : { name, value: String(value) };
}

const envListEntry = z.union([
  z.strictObject({ name: envName, value: z.union([z.string(), z.number(), z.boolean()]) }),
  z.strictObject({ name: envName, from_env: fromEnv.shape.from_env }),
]);

const env = z
  .union([
    z.record(envName, envValue),
    z.array(envListEntry),
  ])
  .transform((value): WorkflowEnv[] =>
    Array.isArray(value)
      ? value.map((entry) => ('from_env' in entry ? { name: entry.name, from_env: entry.from_env } : { name: entry.name, value: String(entry.value) }))
      : Object.entries(value).map(([name, v]) => toEnv(name, v)),
  )
  .default([])
  .meta({ description: 'Environment for every step: a map NAME: value, or a list of {name, value} / {name, from_env}.' });

export const DEFAULT_PLAN_STEPS: readonly WorkflowStep[] = [
  { step: 'init', extra_args: [] },
  { step: 'plan', extra_args: [] },
  { step: 'show', extra_args: [] },
];
export const DEFAULT_APPLY_STEPS: readonly WorkflowStep[] = [{ step: 'apply', extra_args: [] }];

const workflow = z.strictObject({
  plan: z
    .array(step)
    .optional()
    .transform((steps) => steps ?? DEFAULT_PLAN_STEPS.map((s) => ({ ...s })))
    .meta({ description: 'Steps of a plan. Default: init, plan, show.' }),
  apply: z
    .array(step)
    .optional()
    .transform((steps) => steps ?? DEFAULT_APPLY_STEPS.map((s) => ({ ...s })))
    .meta({ description: 'Steps of an apply. Default: apply.' }),
  env,
});
export type Workflow = z.output<typeof workflow>;

// ---- projects ----------------------------------------------------------------------------

const project = z
  .strictObject({
    name: z
      .string()
      .regex(PROJECT_NAME_PATTERN, { error: 'a project name may contain letters, digits and _ . / : @ -' })
      .optional()
      .meta({ description: 'Name used in comments and `-p`. Default: the dir (with `:workspace` when the workspace is not `default`).' }),
    dir: z.string().meta({ description: 'Project directory, relative to the repository root.' }),
    workspace: z.string().regex(WORKSPACE_PATTERN, { error: 'a workspace name may contain letters, digits and _ . -' }).default('default'),
    when_modified: z
      .array(glob)
      .default([...DEFAULT_WHEN_MODIFIED])
      .meta({ description: 'Globs relative to dir (may start with ../) whose change plans this project.' }),
    tool: z.enum(['tofu', 'terraform']).optional().meta({ description: 'Binary to run. Default: the server setting IAC_BINARY.' }),
    workflow: z.string().default(DEFAULT_WORKFLOW_NAME).meta({ description: 'Name of a workflow under `workflows`.' }),
    var_files: z.array(z.string().min(1)).default([]).meta({ description: 'Variable files (-var-file), relative to dir.' }),
    autoplan: z.boolean().default(true).meta({ description: 'Plan automatically when a PR changes the project. Default true.' }),
  })
  // Runs even when other keys of the project are wrong, so every problem is reported at once.
  .superRefine((value, ctx) => checkProjectPaths(value, ctx), { when: () => true })
  .transform((value) => {
    const dir = normaliseDir(value.dir) ?? value.dir;
    const name = value.name ?? defaultProjectName(dir, value.workspace);
    return { ...value, name, dir };
  });
export type ProjectConfig = z.output<typeof project>;

type Ctx = z.core.$RefinementCtx<unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Paths in a project must stay inside the repository. `value` may be partly invalid here. */
function checkProjectPaths(value: unknown, ctx: Ctx): void {
  if (!isRecord(value) || typeof value.dir !== 'string') return;
  const dir = normaliseDir(value.dir);
  if (dir === undefined) {
    ctx.addIssue({ code: 'custom', path: ['dir'], message: `dir "${value.dir}" must be a relative path inside the repository` });
    return;
  }
  if (Array.isArray(value.when_modified)) {
    value.when_modified.forEach((pattern: unknown, index) => {
      if (typeof pattern === 'string' && !globProblem(pattern) && escapesRepository(resolveFromDir(dir, pattern))) {
        ctx.addIssue({ code: 'custom', path: ['when_modified', index], message: `glob "${pattern}" points outside the repository` });
      }
    });
  }
  if (Array.isArray(value.var_files)) {
    value.var_files.forEach((file: unknown, index) => {
      if (typeof file === 'string' && (file.startsWith('/') || file.includes('\0') || escapesRepository(resolveFromDir(dir, file)))) {
        ctx.addIssue({ code: 'custom', path: ['var_files', index], message: `var file "${file}" must be a relative path inside the repository` });
      }
    });
  }
}

/** Workflow references and unique project names/targets. `config` may be partly invalid here. */
function checkProjectReferences(config: unknown, ctx: Ctx): void {
  if (!isRecord(config) || !Array.isArray(config.projects)) return;
  const workflows = new Set([DEFAULT_WORKFLOW_NAME, ...(isRecord(config.workflows) ? Object.keys(config.workflows) : [])]);
  const seenNames = new Map<string, number>();
  const seenTargets = new Map<string, number>();
  config.projects.forEach((p: unknown, index) => {
    if (!isRecord(p)) return;
    const workflowName = p.workflow ?? DEFAULT_WORKFLOW_NAME;
    if (typeof workflowName === 'string' && !workflows.has(workflowName)) {
      ctx.addIssue({
        code: 'custom',
        path: ['projects', index, 'workflow'],
        message: `workflow "${workflowName}" is not defined under workflows (known: ${[...workflows].sort().join(', ')})`,
      });
    }
    if (typeof p.dir !== 'string') return;
    const dir = normaliseDir(p.dir);
    if (dir === undefined) return;
    const workspace = typeof p.workspace === 'string' ? p.workspace : 'default';
    const name = typeof p.name === 'string' ? p.name : defaultProjectName(dir, workspace);
    const earlierName = seenNames.get(name);
    if (earlierName !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['projects', index, typeof p.name === 'string' ? 'name' : 'dir'], message: `project name "${name}" is already used by projects[${earlierName}]` });
    } else seenNames.set(name, index);
    const target = `${dir}\0${workspace}`;
    const earlierTarget = seenTargets.get(target);
    if (earlierTarget !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['projects', index, 'dir'], message: `dir "${dir}" with workspace "${workspace}" is already projects[${earlierTarget}]` });
    } else seenTargets.set(target, index);
  });
}

/** An unnamed project is named after its dir, plus `:workspace` outside the default workspace. */
export function defaultProjectName(dir: string, workspace: string): string {
  return workspace === 'default' ? dir : `${dir}:${workspace}`;
}

// ---- the rest ----------------------------------------------------------------------------

const requirements = z.strictObject({
  plan_current: z.boolean().default(true).meta({ description: 'The plan was made on the current head SHA.' }),
  undiverged: z.boolean().default(true).meta({ description: 'The base branch has not changed files of the project since the plan (a PR that only lags behind the base elsewhere still applies).' }),
  approved: z.boolean().default(true).meta({ description: 'The INFRAOWNERS policy is satisfied.' }),
  plan_succeeded: z.boolean().default(true).meta({ description: 'Every affected project planned without error.' }),
  pr_open: z.boolean().default(true).meta({ description: 'The PR is open.' }),
  locked: z.boolean().default(true).meta({ description: 'This PR holds the project lock.' }),
  plan_unchanged: z.boolean().default(true).meta({ description: 'The stored plan file still has its recorded SHA-256.' }),
});

export const infraReviewConfigSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'Editors: URL or path of this JSON Schema.' }),
    version: z.literal(1).default(1).meta({ description: 'Config format version. Only 1.' }),
    projects: z.array(project).default([]).meta({ description: 'Explicit projects. Directories not listed here are found by autodetect.' }),
    autodetect: z
      .strictObject({
        enabled: z.boolean().default(true).meta({ description: 'Find root modules by themselves.' }),
        ignore: z.array(glob).default([]).meta({ description: 'Directory globs (relative to the repository root) never autodetected as roots.' }),
      })
      .prefault({}),
    workflows: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'a workflow name may contain letters, digits and _ . -' }), workflow)
      .default({})
      .transform((map): Record<string, Workflow> => ({
        [DEFAULT_WORKFLOW_NAME]: { plan: DEFAULT_PLAN_STEPS.map((s) => ({ ...s })), apply: DEFAULT_APPLY_STEPS.map((s) => ({ ...s })), env: [] },
        ...map,
      }))
      .meta({ description: 'Named workflows; `default` (init, plan, show / apply) exists unless overridden.' }),
    apply: z
      .strictObject({
        requirements: requirements.prefault({}),
        automerge: z.boolean().default(false).meta({ description: 'Merge the PR once every project is applied.' }),
        merge_method: z
          .enum(['merge', 'squash', 'rebase'])
          .default('merge')
          .meta({ description: 'How automerge merges: merge, squash or rebase. The merge is pinned to the applied head SHA.' }),
        allowed: z.array(owner).default([]).meta({ description: 'Who may /apply ("@user", "@org/team"); empty: anyone with write access.' }),
      })
      .prefault({}),
    rollback: z
      .strictObject({
        enabled: z.boolean().default(true),
        max_risk: z.enum(RISK_LEVELS).default('high').meta({ description: 'Refuse /rollback when the rollback plan is riskier than this.' }),
        on_failure: z.boolean().default(false).meta({ description: 'Offer a rollback automatically when an apply fails.' }),
        allowed: z.array(owner).default([]).meta({ description: 'Who may /rollback; empty: anyone with write access.' }),
      })
      .prefault({}),
    risk: riskConfigSchema.prefault({}),
    approvals: approvalsConfigSchema.prefault({}),
    comments: z
      .strictObject({
        collapse_details: z.boolean().default(true).meta({ description: 'Per-project details inside a collapsed <details>.' }),
        show_unchanged: z.boolean().default(false).meta({ description: 'List projects whose plan has no changes.' }),
        max_diff_lines: z.int().positive().optional().meta({ description: 'Truncate each project diff after this many lines.' }),
      })
      .prefault({}),
    forks: z.strictObject({ allow: z.boolean().default(false).meta({ description: 'Plan PRs from forks.' }) }).prefault({}),
    drafts: z.strictObject({ plan: z.boolean().default(false).meta({ description: 'Plan draft PRs automatically.' }) }).prefault({}),
    timeouts: z
      .strictObject({
        init: duration('10m', 'Limit for init'),
        plan: duration('30m', 'Limit for plan'),
        apply: duration('60m', 'Limit for apply'),
        run: duration('10m', 'Limit for each run step'),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => checkProjectReferences(config, ctx), { when: () => true })
  .meta({ title: 'infra-review configuration', description: 'The .github/infra-review.yml file of infra-review.' });

/** The fully defaulted configuration. */
export type InfraReviewConfig = z.output<typeof infraReviewConfigSchema>;
/** What a user may write. */
export type InfraReviewConfigInput = z.input<typeof infraReviewConfigSchema>;
