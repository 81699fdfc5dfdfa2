import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PlanAnalysis } from '../plan/analysis.js';
import { parsePlanJson } from '../plan/plan-model.js';
import { analyzePlan } from '../plan/analyze-plan.js';
import type { InfraReviewConfig } from '../config/config-schema.js';
import type { AffectedProject } from '../projects/find-affected-projects.js';
import type { ProjectPlanResult } from '../render/plan-comment-input.js';
import { resolveIacBinary, resolveWorkflowEnv, runWorkflow, redact } from '../runner/index.js';
import type { PlanRecord } from '../store/store.js';
import type { JobContext } from './job-context.js';

/** The project fields planning and applying need (from project detection, or a stored plan result). */
export type ProjectTarget = Pick<AffectedProject, 'name' | 'dir' | 'workspace' | 'tool' | 'workflow' | 'varFiles'>;

export interface PlanProjectInput {
  repo: string;
  pr: number;
  /** The commit checked out in `workspace` (the PR head, or a rollback target). */
  headSha: string;
  baseSha: string;
  project: ProjectTarget;
  config: InfraReviewConfig;
  workspace: { repoDir: string; artifactsDir: string };
  token: string;
  signal: AbortSignal;
}

export interface PlannedProject {
  project: ProjectTarget;
  result: ProjectPlanResult;
  /** Absent for a project that failed before planning (an HCL error). */
  record?: PlanRecord;
  /** Anything to apply (creates, updates, deletes, imports, moves, forgets). */
  hasChanges?: boolean;
  /** The saved plan file inside the workspace (until the workspace is removed). */
  planFilePath?: string;
}

/**
 * Plan one project in an already checked-out workspace: run the workflow, analyse the plan JSON,
 * store the plan file with its SHA-256 and the plan record. Failures become a failed result, never a throw.
 */
export async function planProject(ctx: JobContext, input: PlanProjectInput): Promise<PlannedProject> {
  const { services } = ctx;
  const { project, config } = input;
  const started = Date.now();
  const base = { name: project.name, dir: project.dir, workspace: project.workspace };
  const record = await services.store.recordPlan({
    repo: input.repo,
    pr: input.pr,
    project: project.name,
    workspace: project.workspace,
    headSha: input.headSha,
    baseSha: input.baseSha,
    status: 'planning',
  });
  const finish = (outcome: 'succeeded' | 'failed') => {
    services.metrics.plans.inc({ outcome });
    services.metrics.planDuration.observe({ outcome }, (Date.now() - started) / 1000);
  };
  const fail = async (message: string): Promise<PlannedProject> => {
    const failed = await services.store.updatePlan(record.id, { status: 'failed' });
    finish('failed');
    return { project, record: failed, result: { ...base, status: 'failed', error: { message } } };
  };
  try {
    const binary = resolveIacBinary({ ...(project.tool ? { tool: project.tool } : {}), env: services.settings.baseEnv });
    const workflow = config.workflows[project.workflow];
    const env = resolveWorkflowEnv(workflow?.env ?? [], services.settings.baseEnv);
    if (env.missing.length > 0) {
      return await fail(`the workflow \`${project.workflow}\` passes through server variables that are not set: ${env.missing.join(', ')}`);
    }
    const outcome = await runWorkflow({
      kind: 'plan',
      binary: binary.path,
      workingDir: path.join(input.workspace.repoDir, project.dir),
      artifactsDir: path.join(input.workspace.artifactsDir, safeDirName(`${project.name}-${project.workspace}`)),
      ...(workflow?.plan ? { steps: workflow.plan } : {}),
      varFiles: project.varFiles,
      workspace: project.workspace,
      env: env.env,
      secretEnv: env.secretEnv,
      passEnv: services.settings.passEnv,
      secrets: [input.token],
      baseEnv: services.settings.baseEnv,
      dataDir: services.settings.dataDir,
      timeouts: config.timeouts,
      signal: input.signal,
    });
    if (!outcome.ok || !outcome.planJson || !outcome.planFile) {
      return await fail(outcome.failure?.message ?? 'the plan workflow did not produce a plan');
    }
    const analysis: PlanAnalysis = analyzePlan(parsePlanJson(outcome.planJson, `${project.name}: show -json`), { risk: config.risk });
    const planfile = await services.store.putPlanFile(
      { repo: input.repo, pr: input.pr, project: project.name, workspace: project.workspace, headSha: input.headSha },
      await readFile(outcome.planFile),
    );
    const updated = await services.store.updatePlan(record.id, { status: 'planned', planfile, summary: analysis.summary, risk: analysis.risk.level });
    finish('succeeded');
    services.metrics.planRisk.inc({ level: analysis.risk.level });
    const s = analysis.summary;
    const hasChanges = s.add + s.change + s.destroy + s.import + s.move + s.forget > 0;
    return { project, record: updated, hasChanges, planFilePath: outcome.planFile, result: { ...base, status: 'planned', analysis } };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return await fail(redact(message, [input.token]));
  }
}

export function safeDirName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
}
