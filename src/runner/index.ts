/** Workspace checkout and IaC process execution. */
export { checkoutCommit, fetchBranch, withCheckout, CheckoutError, buildGitEnv, normaliseCloneUrl } from './checkout-commit.js';
export type { CheckoutCommitInput } from './checkout-commit.js';
export { withWorkspace } from './with-workspace.js';
export type { Workspace, WithWorkspaceOptions } from './with-workspace.js';
export { resolveIacBinary, findExecutable, IacBinaryNotFoundError, IAC_TOOLS } from './resolve-iac-binary.js';
export type { IacBinary, IacTool, ResolveIacBinaryInput } from './resolve-iac-binary.js';
export { runStep, describeOutcome, lastLines, DEFAULT_TAIL_BYTES, DEFAULT_KILL_GRACE_MS } from './run-step.js';
export type { RunStepOptions, StepCommand, StepResult } from './run-step.js';
export { runWorkflow, sha256File, DEFAULT_PLAN_STEPS, DEFAULT_APPLY_STEPS, DEFAULT_STEP_TIMEOUTS_MS } from './run-workflow.js';
export type { RunWorkflowInput, WorkflowResult, WorkflowStepSpec, WorkflowFailure, WorkflowStatus, WorkflowKind, StepKind } from './run-workflow.js';
export { resolveWorkflowEnv } from './resolve-workflow-env.js';
export type { WorkflowEnvEntry, ResolvedWorkflowEnv } from './resolve-workflow-env.js';
export { redact, secretVariants, REDACTED } from './redact.js';
export { buildStepEnv, isSecretEnvName } from './build-step-env.js';
export type { StepEnv, StepEnvInput } from './build-step-env.js';
export { readFileAtCommit } from './read-file-at-commit.js';
export type { FileAtCommit, ReadFileAtCommitInput } from './read-file-at-commit.js';
