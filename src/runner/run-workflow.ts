import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildStepEnv } from './build-step-env.js';
import { KeyedMutex } from './keyed-mutex.js';
import { redact } from './redact.js';
import { DEFAULT_KILL_GRACE_MS, DEFAULT_TAIL_BYTES, describeOutcome, lastLines, runStep } from './run-step.js';
import type { StepCommand, StepResult } from './run-step.js';

export type IacStepName = 'init' | 'plan' | 'show' | 'apply';

/**
 * A workflow step: as written in `.github/infra-review.yml` (`init`, `{plan: {extra_args: [...]}}`,
 * `{run: 'cmd'}`) or in the normalised form the config loader produces (`{step: 'plan', extra_args: []}`,
 * `{step: 'run', run: 'cmd'}`).
 */
export type WorkflowStepSpec =
  | IacStepName
  | { run: string }
  | { init: { extra_args?: readonly string[] } | null }
  | { plan: { extra_args?: readonly string[] } | null }
  | { show: { extra_args?: readonly string[] } | null }
  | { apply: { extra_args?: readonly string[] } | null }
  | { step: IacStepName; extra_args?: readonly string[] }
  | { step: 'run'; run: string };

export type StepKind = IacStepName | 'run';

export type WorkflowKind = 'plan' | 'apply';

export const DEFAULT_PLAN_STEPS: readonly WorkflowStepSpec[] = ['init', 'plan', 'show'];
export const DEFAULT_APPLY_STEPS: readonly WorkflowStepSpec[] = ['init', 'apply'];
/** Per kind of step; the same defaults as the `timeouts` config key. */
export const DEFAULT_STEP_TIMEOUTS_MS: Readonly<Record<StepKind, number>> = {
  init: 10 * 60_000,
  plan: 30 * 60_000,
  show: 10 * 60_000,
  apply: 60 * 60_000,
  run: 10 * 60_000,
};
export const PLAN_FILE_NAME = 'tfplan';
export const PLAN_JSON_FILE_NAME = 'plan.json';

export interface RunWorkflowInput {
  kind: WorkflowKind;
  /** Absolute path of tofu/terraform (resolveIacBinary). */
  binary: string;
  /** The project directory inside the checkout. */
  workingDir: string;
  /** Where the plan file and the plan JSON are written (Workspace.artifactsDir). */
  artifactsDir: string;
  /** Custom steps; defaults: plan = init, plan, show; apply = init, apply. */
  steps?: readonly WorkflowStepSpec[];
  /** apply: the saved plan to apply. plan: where to write it (default artifactsDir/tfplan). */
  planFile?: string;
  /** apply: the SHA-256 stored with the plan; nothing runs unless the file still has it. */
  expectedPlanSha256?: string;
  /** The workflow's `env` (values with secret-looking names are masked too). */
  env?: Readonly<Record<string, string>>;
  /** Provider credentials from the job runner: passed to every step and masked in all output. */
  secretEnv?: Readonly<Record<string, string>>;
  /** Names (or `PREFIX*`) taken from baseEnv in addition to PATH, HOME and the like. */
  passEnv?: readonly string[];
  /** Further values to mask (e.g. the installation token). */
  secrets?: readonly string[];
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Shared provider plugin cache; default `${dataDir}/plugin-cache`. */
  pluginCacheDir?: string;
  /** Default: baseEnv.DATA_DIR, else ./data. */
  dataDir?: string;
  /** Limits per kind of step (ms); missing kinds use stepTimeoutMs, then DEFAULT_STEP_TIMEOUTS_MS. */
  timeouts?: Partial<Record<StepKind, number>>;
  stepTimeoutMs?: number;
  /** `-var-file` arguments for plan (relative to workingDir or absolute). */
  varFiles?: readonly string[];
  /** The Terraform workspace; anything but `default` is passed as TF_WORKSPACE. */
  workspace?: string;
  killGraceMs?: number;
  tailBytes?: number;
  signal?: AbortSignal;
}

export type WorkflowStatus = 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

export interface WorkflowFailure {
  step: string;
  /** "plan exited with code 1:" and the last lines of stderr, redacted. */
  message: string;
}

export interface WorkflowResult {
  ok: boolean;
  status: WorkflowStatus;
  steps: StepResult[];
  /** The saved plan (plan workflow, once a plan step succeeded; apply workflow: the plan applied). */
  planFile?: string;
  /** The bytes `show -json` printed for the plan file. */
  planJson?: Buffer;
  /** SHA-256 (hex) of the plan file: stored with it, and checked again before it is applied. */
  planFileSha256?: string;
  /** From `plan -detailed-exitcode`: exit 2 means changes are pending. */
  hasChanges?: boolean;
  failure?: WorkflowFailure;
  /**
   * Apply workflow: the `apply` step failed because the tool found the saved plan stale (the state changed
   * after the plan was made; Terraform and OpenTofu print `Error: Saved plan is stale` and change nothing).
   */
  stalePlan?: true;
}

/** What Terraform and OpenTofu print when `apply PLANFILE` finds the state changed since the plan (they then apply nothing). */
const STALE_PLAN = /Error: Saved plan is stale/;

/** init steps sharing a plugin cache run one at a time in this process. */
const pluginCacheMutex = new KeyedMutex();

interface ResolvedStep {
  name: StepKind;
  extraArgs: readonly string[];
  run?: string;
}

/**
 * Runs a project's workflow step by step. The first failing step stops it; the result names the step
 * and carries the end of its stderr, redacted. Every job starts from a fresh checkout, so `init` is
 * put first when the steps would run plan, show or apply before any init. A plan workflow that never
 * shows the plan it made gets a `show` appended, because the plan JSON is what the rest of the app
 * works on.
 */
export async function runWorkflow(input: RunWorkflowInput): Promise<WorkflowResult> {
  const specs = input.steps ?? (input.kind === 'plan' ? DEFAULT_PLAN_STEPS : DEFAULT_APPLY_STEPS);
  const steps = specs.map(resolveStep);
  const firstInit = steps.findIndex((step) => step.name === 'init');
  const firstIac = steps.findIndex((step) => step.name === 'plan' || step.name === 'show' || step.name === 'apply');
  if (firstIac !== -1 && (firstInit === -1 || firstInit > firstIac)) steps.unshift({ name: 'init', extraArgs: [] });
  const planFile = path.resolve(input.planFile ?? path.join(input.artifactsDir, PLAN_FILE_NAME));
  const planJsonFile = path.resolve(input.artifactsDir, PLAN_JSON_FILE_NAME);
  if (input.kind === 'plan') {
    const lastPlan = steps.map((step) => step.name).lastIndexOf('plan');
    const lastShow = steps.map((step) => step.name).lastIndexOf('show');
    if (lastPlan !== -1 && lastShow < lastPlan) steps.push({ name: 'show', extraArgs: [] });
  }

  const baseEnv = input.baseEnv ?? process.env;
  const pluginCacheDir = path.resolve(input.pluginCacheDir ?? path.join(input.dataDir ?? baseEnv.DATA_DIR ?? 'data', 'plugin-cache'));
  await mkdir(pluginCacheDir, { recursive: true });
  await mkdir(input.artifactsDir, { recursive: true });
  const built = buildStepEnv({
    baseEnv,
    ...(input.passEnv ? { passEnv: input.passEnv } : {}),
    env: {
      ...input.env,
      ...input.secretEnv,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      TF_PLUGIN_CACHE_DIR: pluginCacheDir,
      CHECKPOINT_DISABLE: '1',
      ...(input.workspace !== undefined && input.workspace !== 'default' ? { TF_WORKSPACE: input.workspace } : {}),
    },
  });
  const secrets = [...built.secrets, ...Object.values(input.secretEnv ?? {}), ...(input.secrets ?? [])];

  const results: StepResult[] = [];
  const result: WorkflowResult = { ok: true, status: 'succeeded', steps: results };
  if (input.kind === 'apply') {
    result.planFile = planFile;
    const actual = await sha256File(planFile).catch(() => undefined);
    if (actual === undefined) return fail(result, 'apply', `the saved plan ${path.basename(planFile)} cannot be read; run /plan again`);
    result.planFileSha256 = actual;
    if (input.expectedPlanSha256 !== undefined && actual !== input.expectedPlanSha256.toLowerCase()) {
      return fail(result, 'apply', 'the saved plan does not match the SHA-256 recorded when it was made; run /plan again');
    }
  }
  let planned = input.kind === 'apply';

  for (const step of steps) {
    if ((step.name === 'show' || step.name === 'apply') && !planned) {
      return fail(result, step.name, `${step.name} needs a plan: add a plan step before it`);
    }
    const command = buildCommand(step, input.binary, planFile, input.varFiles ?? []);
    const isPlan = step.name === 'plan';
    const env = step.name === 'run' ? { ...built.env, PLANFILE: planFile, SHOWFILE: planJsonFile } : built.env;
    const runThisStep = () => runStep(command, {
      cwd: input.workingDir,
      env,
      timeoutMs: input.timeouts?.[step.name] ?? input.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUTS_MS[step.name],
      secrets,
      tailBytes: input.tailBytes ?? DEFAULT_TAIL_BYTES,
      killGraceMs: input.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      ...(input.signal ? { signal: input.signal } : {}),
      ...(step.name === 'show' ? { stdoutFile: planJsonFile } : {}),
    });
    const stepResult = step.name === 'init' ? await pluginCacheMutex.run(pluginCacheDir, runThisStep) : await runThisStep();
    results.push(stepResult);
    const succeeded = stepResult.exitCode === 0 || (isPlan && stepResult.exitCode === 2 && !stepResult.timedOut && !stepResult.cancelled);
    if (!succeeded || stepResult.error !== undefined) {
      const output = lastLines(stepResult.stderrTail.trim() ? stepResult.stderrTail : stepResult.stdoutTail);
      const outcome = describeOutcome(stepResult);
      const status: WorkflowStatus = stepResult.cancelled ? 'cancelled' : stepResult.timedOut ? 'timed_out' : 'failed';
      const detail = stepResult.error !== undefined && !outcome.includes(stepResult.error) ? `${stepResult.error}\n` : '';
      // Only the tool's own `apply` step can say this; a `run` step's script may have done anything first.
      if (input.kind === 'apply' && step.name === 'apply' && status === 'failed' && (STALE_PLAN.test(stepResult.stderrTail) || STALE_PLAN.test(stepResult.stdoutTail))) result.stalePlan = true;
      return fail(result, stepResult.step, `${stepResult.step} ${outcome}${detail || output ? `:\n${detail}${output}` : ''}`, status);
    }
    if (isPlan) {
      planned = true;
      result.planFile = planFile;
      result.planFileSha256 = await sha256File(planFile);
      if (step.extraArgs.includes('-detailed-exitcode') || command.args.includes('-detailed-exitcode')) {
        result.hasChanges = stepResult.exitCode === 2;
      }
    }
    if (step.name === 'show') result.planJson = await readFile(planJsonFile);
  }
  if (input.kind === 'plan' && !planned) return fail(result, 'plan', 'the workflow has no plan step');
  return result;

  function fail(into: WorkflowResult, step: string, message: string, status: WorkflowStatus = 'failed'): WorkflowResult {
    into.ok = false;
    into.status = status;
    into.failure = { step, message: redact(message, secrets) };
    return into;
  }
}

/** Hex SHA-256 of a file, streamed (plan files can be large). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function resolveStep(spec: WorkflowStepSpec): ResolvedStep {
  if (typeof spec === 'string') return { name: spec, extraArgs: [] };
  if ('step' in spec) {
    if (spec.step === 'run') return { name: 'run', extraArgs: [], run: (spec as { run: string }).run };
    return { name: spec.step, extraArgs: (spec as { extra_args?: readonly string[] }).extra_args ?? [] };
  }
  if ('run' in spec) return { name: 'run', extraArgs: [], run: spec.run };
  const name = (['init', 'plan', 'show', 'apply'] as const).find((candidate) => candidate in spec);
  if (name === undefined) throw new TypeError(`unknown workflow step: ${JSON.stringify(spec)}`);
  const options = (spec as Record<string, { extra_args?: readonly string[] } | null>)[name];
  return { name, extraArgs: options?.extra_args ?? [] };
}

/** The argv of each step. Flags come before the plan file, as the CLI requires. */
export function buildCommand(step: ResolvedStep, binary: string, planFile: string, varFiles: readonly string[] = []): StepCommand {
  switch (step.name) {
    case 'run':
      return { step: `run: ${step.run ?? ''}`, command: 'sh', args: ['-c', step.run ?? ''] };
    case 'init':
      return { step: 'init', command: binary, args: ['init', '-input=false', '-no-color', ...step.extraArgs] };
    case 'plan':
      return {
        step: 'plan',
        command: binary,
        args: [
          'plan',
          '-input=false',
          '-no-color',
          '-detailed-exitcode',
          `-out=${planFile}`,
          ...varFiles.map((file) => `-var-file=${file}`),
          ...step.extraArgs,
        ],
      };
    case 'show':
      return { step: 'show', command: binary, args: ['show', '-json', '-no-color', ...step.extraArgs, planFile] };
    case 'apply':
      // A saved plan is applied without a prompt; -auto-approve is not needed.
      return { step: 'apply', command: binary, args: ['apply', '-input=false', '-no-color', ...step.extraArgs, planFile] };
  }
}
