import { createHash } from 'node:crypto';
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { InfraReviewConfig } from '../config/config-schema.js';
import { resolveIacBinary, resolveWorkflowEnv, runWorkflow, redact, lastLines } from '../runner/index.js';
import { createDeployment, setDeploymentStatus } from '../github/create-deployment.js';
import type { ApplyRecord, PlanRecord } from '../store/store.js';
import type { JobContext } from '../jobs/job-context.js';
import type { PullRequestRef } from '../jobs/job-payloads.js';
import { repoFullName } from '../jobs/job-payloads.js';
import type { ProjectTarget } from '../jobs/plan-project.js';
import { safeDirName } from '../jobs/plan-project.js';

export interface ApplyPlanInput {
  kind: 'apply' | 'rollback';
  ref: PullRequestRef;
  project: ProjectTarget;
  plan: PlanRecord;
  /** The saved plan's bytes (already verified against their SHA-256 by the store). */
  planBytes: Buffer;
  /** The checkout the plan was made from (same commit). */
  workspace: { repoDir: string; artifactsDir: string };
  config: InfraReviewConfig;
  actor: string;
  token: string;
  signal: AbortSignal;
  /** For a rollback: the apply it undoes. */
  rollbackOf?: number;
}

export interface ApplyPlanResult {
  ok: boolean;
  record: ApplyRecord;
  /** Redacted end of the tool's output, for the answer comment. */
  output: string;
  /** What went wrong, when not ok. */
  failure?: string;
  /**
   * The tool refused the saved plan as stale (the state changed after it was made) and changed nothing:
   * recorded as outcome `stale`, plan status `stale`, deployment status `error`; not a failed change.
   */
  stale: boolean;
  deploymentUrl?: string;
}

/**
 * Apply exactly the saved plan file in its checkout; record it in the store (start, finish, output digest)
 * and as a GitHub deployment with a status; update the plan record and the metrics. A plan the tool
 * refuses as stale is told apart from a failed apply: nothing was changed.
 */
export async function applyPlan(ctx: JobContext, input: ApplyPlanInput): Promise<ApplyPlanResult> {
  const { store, metrics, settings } = ctx.services;
  const repo = { owner: input.ref.owner, repo: input.ref.repo };
  const started = Date.now();
  const environment = input.project.workspace === 'default' ? input.project.name : `${input.project.name}/${input.project.workspace}`;
  const record = await store.recordApplyStart({
    kind: input.kind,
    repo: repoFullName(input.ref),
    pr: input.ref.pr,
    project: input.project.name,
    workspace: input.project.workspace,
    sha: input.plan.headSha,
    actor: input.actor,
    planId: input.plan.id,
    rollbackOf: input.rollbackOf ?? null,
  });
  await store.updatePlan(input.plan.id, { status: 'applying' });
  const deployment = await createDeployment(ctx.octokit, repo, {
    ref: input.plan.headSha,
    environment,
    description: `${input.kind === 'rollback' ? 'Rollback' : 'Apply'} of ${environment} from PR #${input.ref.pr} by @${input.actor}`,
    payload: { pr: input.ref.pr, project: input.project.name, workspace: input.project.workspace, kind: input.kind, planSha256: input.plan.planfile?.sha256, rollbackOf: input.rollbackOf ?? null },
  });
  await setDeploymentStatus(ctx.octokit, repo, deployment.id, { state: 'in_progress', description: `${input.kind} running` });

  const artifactsDir = path.join(input.workspace.artifactsDir, safeDirName(`apply-${input.project.name}-${input.project.workspace}`));
  await mkdir(artifactsDir, { recursive: true, mode: 0o700 });
  const planFile = path.join(artifactsDir, 'tfplan');
  await writeFile(planFile, input.planBytes, { mode: 0o600 });

  let ok = false;
  let stale = false;
  let output = '';
  let failure: string | undefined;
  try {
    const binary = resolveIacBinary({ ...(input.project.tool ? { tool: input.project.tool } : {}), env: settings.baseEnv });
    const workflow = input.config.workflows[input.project.workflow];
    const env = resolveWorkflowEnv(workflow?.env ?? [], settings.baseEnv);
    if (env.missing.length > 0) throw new Error(`the workflow \`${input.project.workflow}\` passes through server variables that are not set: ${env.missing.join(', ')}`);
    const result = await runWorkflow({
      kind: 'apply',
      binary: binary.path,
      workingDir: path.join(input.workspace.repoDir, input.project.dir),
      artifactsDir,
      planFile,
      ...(input.plan.planfile ? { expectedPlanSha256: input.plan.planfile.sha256 } : {}),
      ...(workflow?.apply ? { steps: workflow.apply } : {}),
      workspace: input.project.workspace,
      env: env.env,
      secretEnv: env.secretEnv,
      passEnv: settings.passEnv,
      secrets: [input.token],
      baseEnv: settings.baseEnv,
      dataDir: settings.dataDir,
      timeouts: input.config.timeouts,
      signal: input.signal,
    });
    ok = result.ok;
    stale = result.stalePlan === true;
    const last = result.steps.at(-1);
    output = redact(lastLines(last?.stdoutTail ?? '', 40), [input.token]);
    if (!ok) failure = result.failure?.message ?? `${input.kind} failed`;
  } catch (error) {
    failure = redact(error instanceof Error ? error.message : String(error), [input.token]);
  }

  const digest = createHash('sha256').update(output).update(failure ?? '').digest('hex');
  const outcome = ok ? 'succeeded' : stale ? 'stale' : 'failed';
  const finished = await store.recordApplyFinish(record.id, { outcome, outputDigest: digest });
  await store.updatePlan(input.plan.id, { status: ok ? 'applied' : stale ? 'stale' : 'apply-failed' });
  await setDeploymentStatus(ctx.octokit, repo, deployment.id, {
    // `error`, not `failure`: the deployment could not be carried out, and nothing was changed.
    state: ok ? 'success' : stale ? 'error' : 'failure',
    description: ok
      ? `${input.kind} succeeded`
      : stale
        ? `${input.kind} not run: the saved plan is stale (the state changed since it was planned); nothing was changed`
        : `${input.kind} failed: ${(failure ?? '').split('\n')[0] ?? ''}`,
  });
  const seconds = (Date.now() - started) / 1000;
  if (input.kind === 'apply') {
    metrics.applies.inc({ outcome });
    metrics.applyDuration.observe({ outcome }, seconds);
  } else {
    metrics.rollbackDuration.observe({ outcome }, seconds);
  }
  await store.audit({
    repo: repoFullName(input.ref),
    pr: input.ref.pr,
    actor: input.actor,
    action: `${input.kind}:${outcome}`,
    project: input.project.name,
    workspace: input.project.workspace,
    reason: ok
      ? `${input.kind} of ${input.plan.headSha} succeeded`
      : stale
        ? `the saved plan of ${input.plan.headSha} is stale: the state changed after it was made; nothing was applied`
        : (failure ?? '').split('\n')[0] ?? null,
    details: { sha: input.plan.headSha, applyId: record.id, planSha256: input.plan.planfile?.sha256 ?? null, deploymentId: deployment.id },
  });
  return { ok, stale, record: finished, output, ...(failure ? { failure } : {}), deploymentUrl: deployment.url };
}
